/**
 * What the fault-injection tests (test/faults) share: a Redis server and a PostgreSQL cluster
 * of the test's own (so they can be stopped and restarted without touching the machine's), a
 * steady stream of requests that counts failures, and a slow TCP relay that stretches a push's
 * upload so a test can act while Berth is still receiving it.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './platform';
import { eventually, get } from './router';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Redis server with its data on disk (as a restarted server keeps it). */
export class OwnRedis {
  private server: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'berth-faults-redis-'));
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port ||= await freePort();
    this.server = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', ''], { stdio: 'ignore' });
    await eventually(
      async () => execFileSync('redis-cli', ['-p', String(this.port), 'ping']).toString().trim(),
      (answer) => answer === 'PONG',
      'Redis to answer',
    );
  }

  /** Kills the server (SIGKILL, as a crash would). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Debian's PostgreSQL programs (the newest version installed). */
const PG_BIN = `/usr/lib/postgresql/${readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0]}/bin`;

/** A PostgreSQL cluster, run as the postgres user (initdb refuses root), trusting local connections. */
export class OwnPostgres {
  private readonly dir = mkdtempSync(join(tmpdir(), 'berth-faults-pg-'));
  port = 0;

  /** The admin URL a BerthProcess makes its database with. */
  get adminUrl(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private ctl(...args: string[]): void {
    execFileSync('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', join(this.dir, 'data'), ...args], { stdio: 'ignore' });
  }

  async create(): Promise<void> {
    this.port = await freePort();
    execFileSync('chown', ['postgres', this.dir]);
    execFileSync('runuser', ['-u', 'postgres', '--', `${PG_BIN}/initdb`, '-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres'], { stdio: 'ignore' });
    this.start();
  }

  start(): void {
    this.ctl('-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`, '-l', join(this.dir, 'log'), '-w', 'start');
  }

  /** Stops at once, as a crash would (`-m immediate`: no checkpoint, clients cut off). */
  stop(): void {
    this.ctl('-m', 'immediate', '-w', 'stop');
  }

  /** Runs one query in `database` and returns its rows as arrays of text (psql -At). */
  query(database: string, sql: string): string[][] {
    const out = execFileSync('psql', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', database, '-AtF', '\t', '-c', sql]).toString();
    return out.split('\n').filter(Boolean).map((line) => line.split('\t'));
  }

  remove(): void {
    try {
      this.stop();
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Requests at a steady rate (not one after the other: a stalled request does not slow the
 * rate down), each with its own connection, through the router to one app.
 */
export function steadyRate(port: number, host: string, perSecond: number) {
  const failures: string[] = [];
  let sent = 0;
  let ok = 0;
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    sent++;
    const request = get(port, host, '/', { headers: { connection: 'close' } })
      .then(
        (answer) => {
          if (answer.status === 200) ok++;
          else failures.push(`${answer.status} ${answer.body.slice(0, 120).replace(/\s+/g, ' ')}`);
        },
        (error: Error) => void failures.push(error.message),
      )
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }, 1000 / perSecond);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return { sent, ok, failures };
    },
  };
}

/**
 * A TCP relay to `targetPort` that passes what the client sends at `bytesPerSecond` (answers
 * pass at full speed), so a push's upload takes seconds rather than milliseconds.
 */
export class SlowRelay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly bytesPerSecond: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new Socket();
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      upstream.connect(this.targetPort, '127.0.0.1');
      upstream.pipe(client);
      const chunk = Math.max(1, Math.floor(this.bytesPerSecond / 20));
      client.on('data', (data: Buffer) => {
        client.pause();
        void (async () => {
          for (let at = 0; at < data.length; at += chunk) {
            if (upstream.destroyed) return;
            upstream.write(data.subarray(at, at + chunk));
            if (data.length > chunk) await sleep(50);
          }
          client.resume();
        })();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server!.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Removes what an app left on the engine after its install stopped: its images and networks. */
export function removeAppLeftovers(...apps: string[]): void {
  for (const app of apps) {
    const images = execFileSync('podman', ['images', '-q', '--filter', `label=berth.app=${app}`]).toString().split('\n').filter(Boolean);
    if (images.length) execFileSync('podman', ['rmi', '-f', ...new Set(images)], { stdio: 'ignore' });
    const networks = execFileSync('podman', ['network', 'ls', '-q', '--filter', `label=berth.app=${app}`]).toString().split('\n').filter(Boolean);
    if (networks.length) execFileSync('podman', ['network', 'rm', '-f', ...networks], { stdio: 'ignore' });
  }
}

/** Signs a new user up on a running Berth over HTTP; the response's status and token. */
export async function signUpOver(baseUrl: string, email: string): Promise<{ status: number; token: string }> {
  const response = await fetch(`${baseUrl}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'a long password indeed' }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string };
  return { status: response.status, token: body.token ?? '' };
}
