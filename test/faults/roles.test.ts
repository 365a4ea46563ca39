import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containersOfApp } from '../support/fullstack';
import { OwnPostgres, OwnRedis, removeAppLeftovers, signUpOver, sleep, steadyRate } from '../support/faults';
import { WorkingCopy } from '../support/git';
import { BerthProcess } from '../support/process';
import { eventually, get } from '../support/router';
import { unique } from '../support/users';

jest.setTimeout(300_000);

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

  const redis = new OwnRedis();
  const postgres = new OwnPostgres();

  beforeAll(async () => {
    await redis.start();
    await postgres.create();
    berth = await BerthProcess.create(
      {
      BERTH_PROCESSES: 'per-role',
      NO_COLOR: '1',
      AGENT_HEARTBEAT_SECONDS: '2',
      SCHEDULER_INTERVAL_MS: '500',
      REDIS_URL: redis.url,
      },
      postgres.adminUrl,
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
    await redis.remove();
    postgres.remove();
    copy?.remove();
    if (app) removeAppLeftovers(app);
  });

  it('deploys a static app', async () => {
    const signup = await signUpOver(berth.url, `${unique('faults')}@example.com`);
    expect(signup.status).toBe(201);
    token = signup.token;
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
    await redis.stop();
    const t0 = Date.now();
    await eventually(health, (status) => status === 503, 'the API to answer 503 while Redis is down', 20_000);
    await sleep(3000);
    await redis.start();
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
    postgres.stop();
    await eventually(health, (status) => status === 503, 'the API to answer 503 while PostgreSQL is down', 20_000);
    await sleep(3000);
    postgres.start();
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
