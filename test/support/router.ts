import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, Agent, IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import { PrismaService } from '@berth/db';
import { RouteChanges } from '@berth/router';
import { ensureWebAppImage } from './images';
import { unique } from './users';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Real app containers for router tests, standing in for what the runtime (agents) will start:
 * test/support/fixtures/web-app.js on a published loopback port. Every container carries the
 * label `berth.test=<label>` so a test file removes only its own.
 */
export class WebApps {
  readonly label = unique('router-test');
  private readonly image = ensureWebAppImage();

  async start(name: string): Promise<{ id: string; port: number; name: string }> {
    const { stdout } = await execFileAsync('podman', [
      'run', '-d', '--label', `berth.test=${this.label}`, '--memory', '128m', '-p', '127.0.0.1::8080', '-e', `INSTANCE_NAME=${name}`, this.image,
    ]);
    const id = stdout.trim();
    const { stdout: mapped } = await execFileAsync('podman', ['port', id, '8080']);
    const port = Number(/:(\d+)\s*$/m.exec(mapped)![1]);
    // The first container of a fresh machine (its network, the image's first use) or one
    // started while the machine is busy can take seconds to answer.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = await get(port, 'direct', '/').catch(() => null);
      if (answer?.body === name) break;
      if (Date.now() > deadline) throw new Error(`container ${name} did not answer on ${port} within 30 s`);
      await sleep(50);
    }
    return { id, port, name };
  }

  async stop(id: string): Promise<void> {
    await execFileAsync('podman', ['rm', '-f', '-t', '0', id]);
  }

  async removeAll(): Promise<void> {
    const { stdout } = await execFileAsync('podman', ['ps', '-aq', '--filter', `label=berth.test=${this.label}`]);
    const ids = stdout.split('\n').filter(Boolean);
    if (ids.length) await execFileAsync('podman', ['rm', '-f', '-t', '0', ...ids]);
  }
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP request to 127.0.0.1:port with the given Host header (glibc does not resolve *.localhost). */
export function get(port: number, host: string, path = '/', options: { headers?: Record<string, string>; method?: string; body?: Buffer | string; agent?: Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host, ...options.headers }, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface WebSocketClient {
  send(text: string): void;
  /** The next text message from the server. */
  next(): Promise<string>;
  close(): void;
}

/**
 * A WebSocket client, small text messages only (RFC 6455): enough to check that an upgrade
 * and frames in both directions pass through the router. Checks the server's accept key.
 */
export function openWebSocket(port: number, host: string, path = '/'): Promise<WebSocketClient> {
  const key = randomBytes(16).toString('base64');
  const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      headers: { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': key },
    });
    req.on('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      if (res.headers['sec-websocket-accept'] !== expected) return reject(new Error('wrong Sec-WebSocket-Accept'));
      let buffered = head;
      const waiting: ((text: string) => void)[] = [];
      const messages: string[] = [];
      socket.on('data', (data: Buffer) => {
        buffered = Buffer.concat([buffered, data]);
        while (buffered.length >= 2 && buffered.length >= 2 + (buffered[1] & 0x7f)) {
          const length = buffered[1] & 0x7f;
          const text = buffered.subarray(2, 2 + length).toString();
          buffered = buffered.subarray(2 + length);
          const waiter = waiting.shift();
          if (waiter) waiter(text);
          else messages.push(text);
        }
      });
      resolve({
        send(text) {
          const payload = Buffer.from(text);
          const mask = randomBytes(4);
          socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i % 4])]));
        },
        next: () => (messages.length ? Promise.resolve(messages.shift()!) : new Promise((r) => waiting.push(r))),
        close: () => socket.destroy(),
      });
    });
    req.end();
  });
}

/**
 * Keeps `concurrency` clients asking for a page over kept-alive connections until stopped;
 * stop() tells which bodies came back how often, and every failure (non-200 or error).
 */
export function steadyLoad(port: number, host: string, concurrency = 8) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const seen = new Map<string, number>();
  const failures: string[] = [];
  let stopped = false;
  const client = async () => {
    while (!stopped) {
      try {
        const answer = await get(port, host, '/', { agent });
        if (answer.status === 200) seen.set(answer.body, (seen.get(answer.body) ?? 0) + 1);
        else failures.push(`${answer.status} ${answer.body.slice(0, 80)}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, client));
  return {
    async stop() {
      stopped = true;
      await running;
      agent.destroy();
      return { seen, failures, ok: [...seen.values()].reduce((a, b) => a + b, 0) };
    },
  };
}

/** Asks until `check` passes (the router applies changes asynchronously), or fails with the last answer. */
export async function eventually<T>(ask: () => Promise<T>, check: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | Error | undefined;
  while (Date.now() < deadline) {
    try {
      last = await ask();
      if (check(last)) return last;
    } catch (error) {
      last = error as Error;
    }
    await sleep(100);
  }
  throw new Error(`${what}: still not true after ${timeoutMs} ms; last: ${JSON.stringify(last instanceof Error ? last.message : last)}`);
}

/**
 * Writes the rows the runtime writes for a deployed environment, the way issue 4's contract
 * says the router reads them: a host, releases, web instances on published ports.
 */
export class FakeRuntime {
  private hostId: string | null = null;

  constructor(
    private readonly db: PrismaService,
    private readonly changes: RouteChanges,
  ) {}

  async host(): Promise<string> {
    this.hostId ??= (await this.db.host.create({ data: { name: unique('test-host'), address: '127.0.0.1', memoryMb: 4096, cpuMillis: 2000, pidsLimit: 4096 } })).id;
    return this.hostId;
  }

  /** A release of the environment in the given status, with `ports.length` web instances. */
  async release(environmentId: string, ports: number[], status: 'deploying' | 'active' = 'active', instanceState: { healthy: boolean; actualState: 'running' | 'starting' | 'crashed' | 'pending'; reason?: string } = { healthy: true, actualState: 'running' }) {
    const hostId = await this.host();
    const version = ((await this.db.release.aggregate({ where: { environmentId }, _max: { version: true } }))._max.version ?? 0) + 1;
    const release = await this.db.release.create({
      data: {
        environmentId,
        version,
        configEncrypted: 'unused',
        description: `test release v${version}`,
        status,
        formation: { create: { processType: 'web', quantity: Math.max(ports.length, 1), memoryMb: 128, cpuMillis: 250, pidsLimit: 256 } },
      },
    });
    await this.db.instance.createMany({
      data: ports.map((port, i) => ({
        environmentId,
        releaseId: release.id,
        processType: 'web',
        index: i + 1,
        hostId,
        memoryMb: 128,
        cpuMillis: 250,
        pidsLimit: 256,
        actualState: instanceState.actualState,
        healthy: instanceState.healthy,
        reason: instanceState.reason ?? null,
        hostPort: port,
      })),
    });
    await this.changes.environmentChanged(environmentId);
    return release;
  }

  /** The runtime's switch: the new release becomes current, the old one superseded; routers are told. */
  async activate(environmentId: string, releaseId: string): Promise<void> {
    await this.db.$transaction([
      this.db.release.updateMany({ where: { environmentId, status: 'active', id: { not: releaseId } }, data: { status: 'superseded' } }),
      this.db.release.update({ where: { id: releaseId }, data: { status: 'active' } }),
    ]);
    await this.changes.environmentChanged(environmentId);
  }

  /** The runtime stopping a release's instances. */
  async stopInstances(releaseId: string, environmentId: string): Promise<void> {
    await this.db.instance.updateMany({ where: { releaseId }, data: { desiredState: 'stopped', actualState: 'stopped', healthy: false } });
    await this.changes.environmentChanged(environmentId);
  }
}
