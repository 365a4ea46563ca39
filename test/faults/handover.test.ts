import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { containersOfApp } from '../support/fullstack';
import { removeAppLeftovers, signUpOver, sleep, steadyRate } from '../support/faults';
import { WorkingCopy } from '../support/git';
import { BerthProcess } from '../support/process';
import { eventually, get } from '../support/router';
import { unique } from '../support/users';

jest.setTimeout(400_000);

/**
 * Make before break when a host is lost: api, builder, scheduler and router run in one process,
 * and two agents (hosts A and B) in processes of their own. An app's one web instance runs on
 * A; A's agent is frozen (SIGSTOP), so A stops heartbeating while its container still answers.
 * After HOST_LOST_AFTER_SECONDS the scheduler marks A down and places the instance on B: the
 * router keeps sending requests to A's container until B's is healthy, so no request fails and
 * the status stays "running". Then A's agent wakes (SIGCONT) and removes its old container: one
 * container is left, on B.
 */
describe('a lost host whose instance still answers', () => {
  let berth: BerthProcess;
  let hostA: BerthProcess;
  let hostB: BerthProcess;
  let db: Client;
  let copy: WorkingCopy | undefined;
  let app: string | undefined;
  let token = '';
  let frozen = 0;
  const figures: string[] = [];

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${berth.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const appHost = () => `${app}.localhost`;
  const viaRouter = () => get(berth.routerPort, appHost());
  /** Where the app's web instance is placed, and whether its agent found it healthy there. */
  const placement = async () => {
    const { rows } = await db.query<{ host: string | null; healthy: boolean; state: string }>(
      `SELECT h.name AS host, i.healthy, i."actualState" AS state FROM "Instance" i JOIN "Environment" e ON e.id = i."environmentId" JOIN "App" a ON a.id = e."appId" LEFT JOIN "Host" h ON h.id = i."hostId" WHERE a.name = $1 AND i."desiredState" = 'running'`,
      [app],
    );
    return rows;
  };
  const statusState = async () => {
    const body = (await (await api('/api/apps?limit=200')).json()) as { apps: { name: string; status?: { state: string } }[] };
    return body.apps.find((a) => a.name === app)?.status?.state ?? 'absent';
  };

  beforeAll(async () => {
    berth = await BerthProcess.create({
      BERTH_ROLES: 'api,builder,scheduler,router',
      NO_COLOR: '1',
      SCHEDULER_INTERVAL_MS: '500',
      HOST_DOWN_AFTER_SECONDS: '3',
      HOST_LOST_AFTER_SECONDS: '8',
    });
    await berth.prepare();
    await berth.start(120_000);
    const main = berth.env();
    const agent = {
      BERTH_ROLES: 'agent',
      BERTH_SUPERVISE: 'false',
      NO_COLOR: '1',
      AGENT_HEARTBEAT_SECONDS: '1',
      DATABASE_URL: main.DATABASE_URL!,
      REDIS_URL: main.REDIS_URL!,
      BERTH_REDIS_PREFIX: main.BERTH_REDIS_PREFIX!,
      BERTH_SECRET_KEY: main.BERTH_SECRET_KEY!,
    };
    hostA = await BerthProcess.create(agent);
    hostB = await BerthProcess.create(agent);
    await hostA.start(60_000);
    db = new Client({ connectionString: main.DATABASE_URL });
    await db.connect();
    // Compiling and starting take minutes when other suites share the cores.
  }, 900_000);

  afterAll(async () => {
    if (figures.length) console.log(figures.join('\n'));
    if (frozen) {
      try {
        process.kill(frozen, 'SIGCONT');
      } catch {
        // gone
      }
    }
    await db?.end().catch(() => undefined);
    for (const host of [hostA, hostB]) {
      if (!host) continue;
      if (host.pid) await host.stop('SIGTERM').catch(() => undefined);
      await host.cleanup().catch(() => undefined);
      rmSync(host.dataDir, { recursive: true, force: true });
    }
    if (berth) {
      await berth.stop('SIGTERM').catch(() => undefined);
      await berth.cleanup();
    }
    copy?.remove();
    if (app) removeAppLeftovers(app);
  });

  it('deploys a static app with its one web instance on host A', async () => {
    const signup = await signUpOver(berth.url, `${unique('handover')}@example.com`);
    expect(signup.status).toBe(201);
    token = signup.token;
    app = unique('handover');
    expect((await api('/api/apps', { method: 'POST', body: JSON.stringify({ name: app }) })).status).toBe(201);
    copy = await WorkingCopy.fromFixture('static');
    copy.write('public/index.html', 'handed over\n');
    await copy.commitAll('v1');
    const push = await copy.push(`http://git:${token}@127.0.0.1:${berth.port}/git/${app}.git`, 'main');
    expect(push.code).toBe(0);
    await eventually(viaRouter, (a) => a.status === 200 && a.body === 'handed over\n', 'the app to answer through the router', 90_000);
    expect(await placement()).toEqual([{ host: hostA.hostName, healthy: true, state: 'running' }]);
    // Host B joins once the instance is placed, so it is the only place the instance can move to.
    await hostB.start(60_000);
  });

  it('keeps every request answered while the instance moves from the lost host A to B, and A removes its container when it returns', async () => {
    const load = steadyRate(berth.routerPort, appHost(), 10);
    const states = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        states.add(await statusState().catch((error: Error) => `unreadable: ${error.message}`));
        await sleep(250);
      }
    })();
    await sleep(1000);
    frozen = hostA.pid!;
    const t0 = Date.now();
    process.kill(frozen, 'SIGSTOP');
    await eventually(placement, (rows) => rows.length === 1 && rows[0].host === hostB.hostName && rows[0].healthy, 'the instance to run healthy on host B', 120_000);
    const healthyAfter = (Date.now() - t0) / 1000;
    // The router switches to B's container, then A's agent wakes and removes its own.
    await sleep(3000);
    process.kill(frozen, 'SIGCONT');
    frozen = 0;
    const left = await eventually(async () => containersOfApp(app!), (list) => list.length === 1, "host A's agent to remove its old container", 60_000);
    await sleep(2000);
    watching = false;
    await watcher;
    const { sent, ok, failures } = await load.stop();
    figures.push(`Host lost (agent frozen, HOST_LOST_AFTER_SECONDS=8): ${sent} requests, ${failures.length} failed; replacement healthy on host B ${healthyAfter.toFixed(1)} s after the freeze`);
    expect(failures).toEqual([]);
    expect(ok).toBe(sent);
    expect([...states]).toEqual(['running']);
    expect(left).toEqual([expect.objectContaining({ host: hostB.hostName, running: true })]);
    expect((await viaRouter()).body).toBe('handed over\n');
  });
});
