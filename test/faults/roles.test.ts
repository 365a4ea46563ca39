import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/platform';
import { containersOfApp } from '../support/fullstack';
import { WorkingCopy } from '../support/git';
import { BerthProcess } from '../support/process';
import { eventually, get } from '../support/router';
import { unique } from '../support/users';

jest.setTimeout(300_000);

/** Debian's PostgreSQL programs (the newest version installed). */
const PG_BIN = `/usr/lib/postgresql/${readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0]}/bin`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Requests at a steady rate (not one after the other: a stalled request does not slow the
 * rate down), each with its own connection, through the router to one app.
 */
function steadyRate(port: number, host: string, perSecond: number) {
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
 * Fault injection on real processes: Berth as `npm start` runs it with BERTH_PROCESSES=per-role
 * (each role its own process under the supervisor), one static app deployed, then each role's
 * process is killed with SIGKILL while requests flow to the app through the router. The app
 * must keep answering, the supervisor must bring the role back, and afterwards there is one
 * container per instance and a new push still deploys.
 */
describe('killing a role of a running install', () => {
  let berth: BerthProcess;
  let copy: WorkingCopy | undefined;
  let app: string | undefined;
  let token = '';
  const figures: { role: string; requests: number; failed: number; recoverySeconds: number }[] = [];

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${berth.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const appHost = () => `${app}.localhost`;
  const viaRouter = () => get(berth.routerPort, appHost());
  const haproxyPid = () => Number(readFileSync(join(berth.dataDir, 'router', String(berth.routerPort), 'haproxy.pid'), 'utf8'));

  // A Redis server of this test's own (with its data on disk, as a restarted server keeps it), so it can be restarted.
  let redis: ChildProcess | null = null;
  let redisPort = 0;
  const redisDir = mkdtempSync(join(tmpdir(), 'berth-faults-redis-'));
  async function startRedis(): Promise<void> {
    redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--save', ''], { stdio: 'ignore' });
    await eventually(
      async () => execFileSync('redis-cli', ['-p', String(redisPort), 'ping']).toString().trim(),
      (answer) => answer === 'PONG',
      'Redis to answer',
    );
  }
  async function stopRedis(): Promise<void> {
    const server = redis;
    redis = null;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }

  // A PostgreSQL cluster of this test's own, so it can be restarted (run as the postgres user: initdb refuses root).
  const pgDir = mkdtempSync(join(tmpdir(), 'berth-faults-pg-'));
  let pgPort = 0;
  const pgCtl = (...args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', join(pgDir, 'data'), ...args], { stdio: 'ignore' });
  const startPostgres = () => pgCtl('-o', `-p ${pgPort} -k ${pgDir} -c listen_addresses=127.0.0.1`, '-l', join(pgDir, 'log'), '-w', 'start');
  const stopPostgres = () => pgCtl('-m', 'immediate', '-w', 'stop');

  beforeAll(async () => {
    redisPort = await freePort();
    await startRedis();
    pgPort = await freePort();
    execFileSync('chown', ['postgres', pgDir]);
    execFileSync('runuser', ['-u', 'postgres', '--', `${PG_BIN}/initdb`, '-D', join(pgDir, 'data'), '-A', 'trust', '-U', 'postgres'], { stdio: 'ignore' });
    startPostgres();
    berth = await BerthProcess.create(
      {
      BERTH_PROCESSES: 'per-role',
      NO_COLOR: '1',
      AGENT_HEARTBEAT_SECONDS: '2',
      SCHEDULER_INTERVAL_MS: '500',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      },
      `postgresql://postgres@127.0.0.1:${pgPort}/postgres`,
    );
    await berth.prepare();
    await berth.start(120_000);
  });

  afterAll(async () => {
    if (figures.length) {
      console.log(
        ['Killed (SIGKILL)        requests   failed   back after (s from the kill)', ...figures.map((f) => `${f.role.padEnd(22)} ${String(f.requests).padStart(9)} ${String(f.failed).padStart(8)}   ${f.recoverySeconds.toFixed(1)} s`)].join('\n'),
      );
    }
    if (berth) {
      await berth.stop('SIGTERM').catch(() => undefined);
      await berth.cleanup();
    }
    await stopRedis();
    rmSync(redisDir, { recursive: true, force: true });
    try {
      stopPostgres();
    } catch {
      // not running
    }
    rmSync(pgDir, { recursive: true, force: true });
    copy?.remove();
    if (app) {
      const images = execFileSync('podman', ['images', '-q', '--filter', `label=berth.app=${app}`]).toString().split('\n').filter(Boolean);
      if (images.length) execFileSync('podman', ['rmi', '-f', ...new Set(images)], { stdio: 'ignore' });
      const networks = execFileSync('podman', ['network', 'ls', '-q', '--filter', `label=berth.app=${app}`]).toString().split('\n').filter(Boolean);
      if (networks.length) execFileSync('podman', ['network', 'rm', '-f', ...networks], { stdio: 'ignore' });
    }
  });

  it('deploys a static app', async () => {
    const signup = await fetch(`${berth.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${unique('faults')}@example.com`, password: 'a long password indeed' }),
    });
    expect(signup.status).toBe(201);
    token = ((await signup.json()) as { token: string }).token;
    app = unique('steady');
    expect((await api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status).toBe(201);
    copy = await WorkingCopy.fromFixture('static');
    copy.write('public/index.html', 'steady v1\n');
    await copy.commitAll('v1');
    const push = await copy.push(`http://git:${token}@127.0.0.1:${berth.port}/git/${app}.git`, 'main');
    expect(push.code).toBe(0);
    await eventually(viaRouter, (a) => a.status === 200 && a.body === 'steady v1\n', 'the app to answer through the router', 60_000);
    expect(containersOfApp(app).map((c) => c.running)).toEqual([true]);
  });

  for (const role of ['agent', 'router', 'scheduler', 'builder', 'api']) {
    it(`keeps the app answering while the ${role} is killed and started again`, async () => {
      const before = containersOfApp(app!);
      const haproxy = haproxyPid();
      const killed = berth.groupPid(role)!;
      expect(killed).toBeGreaterThan(0);
      const load = steadyRate(berth.routerPort, appHost(), 20);
      await sleep(1000);
      const t0 = Date.now();
      process.kill(killed, 'SIGKILL');
      const back = await eventually(
        async () => berth.groupPid(role),
        (pid) => pid !== undefined && pid !== killed && berth.started(pid),
        `the supervisor to start the ${role} again`,
        60_000,
      );
      const recoverySeconds = (Date.now() - t0) / 1000;
      // Whatever the restarted role does first (the agent's first reconcile, the router's adoption) happens under load too.
      await sleep(2000);
      const { sent, ok, failures } = await load.stop();
      figures.push({ role, requests: sent, failed: failures.length, recoverySeconds });
      expect(back).not.toBe(killed);
      expect(failures).toEqual([]);
      expect(ok).toBe(sent);
      // HAProxy outlived the router, and the next router adopted it rather than start another.
      expect(haproxyPid()).toBe(haproxy);
      if (role === 'router') expect(berth.log).toContain(`adopted HAProxy ${haproxy}`);
      // The same container serves: none orphaned, none doubled.
      expect(containersOfApp(app!)).toEqual(before);
    });
  }

  it('keeps the app answering while Redis is down and restarted; the API says 503 meanwhile', async () => {
    const before = containersOfApp(app!);
    const health = () => fetch(`${berth.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
    const load = steadyRate(berth.routerPort, appHost(), 20);
    await sleep(1000);
    await stopRedis();
    const t0 = Date.now();
    await eventually(health, (status) => status === 503, 'the API to answer 503 while Redis is down', 20_000);
    await sleep(3000);
    await startRedis();
    await eventually(health, (status) => status === 200, 'the API to answer 200 once Redis is back', 60_000);
    const recoverySeconds = (Date.now() - t0) / 1000;
    await sleep(2000);
    const { sent, ok, failures } = await load.stop();
    figures.push({ role: 'Redis (down 3 s)', requests: sent, failed: failures.length, recoverySeconds });
    expect(failures).toEqual([]);
    expect(ok).toBe(sent);
    expect(containersOfApp(app!)).toEqual(before);
  });

  it('keeps the app answering while PostgreSQL is down and restarted; the API says 503 meanwhile', async () => {
    const before = containersOfApp(app!);
    const health = () => fetch(`${berth.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
    const load = steadyRate(berth.routerPort, appHost(), 20);
    await sleep(1000);
    const t0 = Date.now();
    stopPostgres();
    await eventually(health, (status) => status === 503, 'the API to answer 503 while PostgreSQL is down', 20_000);
    await sleep(3000);
    startPostgres();
    await eventually(health, (status) => status === 200, 'the API to answer 200 once PostgreSQL is back', 60_000);
    const recoverySeconds = (Date.now() - t0) / 1000;
    await sleep(2000);
    const { sent, ok, failures } = await load.stop();
    figures.push({ role: 'PostgreSQL (down 3 s)', requests: sent, failed: failures.length, recoverySeconds });
    expect(failures).toEqual([]);
    expect(ok).toBe(sent);
    expect(containersOfApp(app!)).toEqual(before);
  });

  it('still deploys a new push afterwards, and leaves one container', async () => {
    await eventually(() => fetch(`${berth.url}/healthz`).then((r) => r.status, () => 0), (s) => s === 200, 'the API to answer', 30_000);
    copy!.write('public/index.html', 'steady v2\n');
    await copy!.commitAll('v2');
    const push = await copy!.push(`http://git:${token}@127.0.0.1:${berth.port}/git/${app}.git`, 'main');
    expect(push.code).toBe(0);
    await eventually(viaRouter, (a) => a.status === 200 && a.body === 'steady v2\n', 'the new release to answer', 90_000);
    const containers = await eventually(async () => containersOfApp(app!), (list) => list.length === 1, 'the old release to be stopped', 30_000);
    expect(containers.map((c) => c.running)).toEqual([true]);
  });
});
