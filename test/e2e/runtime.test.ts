import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PrismaService } from '@berth/db';
import { routableInstances } from '@berth/contracts';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';
import {
  containersOf,
  deploy,
  ensureWebImage,
  eventually,
  FAST,
  getFrom,
  isolatedCluster,
  PROCESS_TYPES,
  removeContainersOf,
  sleep,
  startAgent,
  TestAgent,
} from '../support/runtime';

jest.setTimeout(180_000);

interface InstanceView {
  id: string;
  name: string;
  release: number;
  host: string | null;
  healthy: boolean;
  actualState: string;
  reason: string | null;
  restartCount: number;
}

/**
 * Three agents, each declaring 1 GiB and 2 CPUs, share this machine's engine; the api and
 * scheduler run in this process.
 */
describe('running apps on several hosts', () => {
  let platform: RunningPlatform;
  let agents: TestAgent[] = [];
  let user: TestUser;
  let db: PrismaService;
  let one: string;
  let two: string;
  let cluster: Awaited<ReturnType<typeof isolatedCluster>>;
  const addAgent = (name?: string) => startAgent({ name, memoryMb: 1024, cpu: 2, env: cluster.env });

  const instances = async (app: string, env = 'production'): Promise<InstanceView[]> =>
    (await platform.http().get(`/api/apps/${app}/environments/${env}/instances`).set(user.auth).expect(200)).body;
  const healthyOf = async (app: string, release: number) => (await instances(app)).filter((i) => i.release === release && i.healthy);
  const endpoint = async (instanceId: string) => {
    const row = await db.instance.findUniqueOrThrow({ where: { id: instanceId }, include: { host: true } });
    return { address: row.host!.address, port: row.hostPort! };
  };
  /** Waits until `version` is the current release with `count` healthy web instances. */
  const untilCurrent = (app: string, version: number, count = 1) =>
    eventually(`v${version} of ${app} to be current with ${count} healthy instance(s)`, async () => {
      const releases = (await platform.http().get(`/api/apps/${app}/environments/production/releases`).set(user.auth).expect(200)).body;
      const healthy = await healthyOf(app, version);
      return releases.find((r: { current: boolean }) => r.current)?.version === version && healthy.length === count && healthy;
    });
  /** What the environment serves, through one of its current healthy instances (as the router would). */
  const serve = async (app: string, path = '/') => {
    const releases = (await platform.http().get(`/api/apps/${app}/environments/production/releases`).set(user.auth).expect(200)).body;
    const current = releases.find((r: { current: boolean }) => r.current);
    const [instance] = await healthyOf(app, current.version);
    const { address, port } = await endpoint(instance.id);
    return getFrom(address, port, path);
  };

  beforeAll(async () => {
    one = ensureWebImage('one');
    two = ensureWebImage('two');
    cluster = await isolatedCluster();
    platform = await startPlatform(['api', 'scheduler'], { ...FAST, ...cluster.env });
    db = platform.app.get(PrismaService);
    for (let i = 0; i < 3; i++) agents.push(await addAgent());
    user = await signUp(platform);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
    removeContainersOf(agents.map((a) => a.name));
    await platform?.close();
    await cluster?.drop();
  });

  it('spreads three web instances over the three hosts', async () => {
    const app = await createApp(platform, user, 'spread');
    await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const res = await platform.http().patch(`/api/apps/${app}/environments/production/formation`).set(user.auth).send({ web: { quantity: 3, memoryMb: 64 } }).expect(200);
    expect(res.body.web).toMatchObject({ quantity: 3, memoryMb: 64 });
    const healthy = await eventually('three healthy instances of v2', async () => {
      const list = await healthyOf(app, 2);
      return list.length === 3 && list;
    });
    expect(new Set(healthy.map((i) => i.host))).toEqual(new Set(agents.map((a) => a.name)));
    for (const instance of healthy) expect((await getFrom(...Object.values(await endpoint(instance.id)) as [string, number])).text).toBe('one\n');
    await eventually('v1 to be stopped', async () => (await instances(app)).every((i) => i.release === 2));
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
  });

  it('routes only to healthy instances of the current release while a new release rolls out', async () => {
    const app = await createApp(platform, user, 'zero');
    const { environment } = await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const failures: string[] = [];
    const versions = new Set<number>();
    let emptyRoutes = 0;
    let watching = true;
    // What the router does: read the routes, send a request to one of them.
    const watch = (async () => {
      while (watching) {
        const routes = await routableInstances(db, environment.id);
        if (!routes.length) emptyRoutes++;
        for (const route of routes) {
          versions.add(route.releaseVersion);
          const res = await getFrom(route.address, route.port).catch((error: Error) => ({ status: 0, text: error.message }));
          if (res.status !== 200) failures.push(`v${route.releaseVersion} ${res.status} ${res.text}`);
        }
        await sleep(20);
      }
    })();
    try {
      await platform.http().patch(`/api/apps/${app}/environments/production/formation`).set(user.auth).send({ web: { quantity: 2, memoryMb: 48 } }).expect(200);
      await untilCurrent(app, 2, 2);
      await eventually('v1 to be gone', async () => (await instances(app)).every((i) => i.release === 2));
      await sleep(500);
    } finally {
      watching = false;
      await watch;
    }
    expect(failures).toEqual([]);
    expect(emptyRoutes).toBe(0);
    expect([...versions].sort()).toEqual([1, 2]);
    expect((await routableInstances(db, environment.id)).map((r) => r.releaseVersion)).toEqual([2, 2]);
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
  });

  it('rolls back to an earlier image and config', async () => {
    const app = await createApp(platform, user, 'rollback');
    const base = `/api/apps/${app}/environments/production`;
    await platform.http().patch(`${base}/config`).set(user.auth).send({ GREETING: 'first' }).expect(200);
    await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.web } }); // v1: image one, GREETING=first
    await platform.http().patch(`${base}/config`).set(user.auth).send({ GREETING: 'second', EXTRA: 'x' }).expect(200); // v2
    await deploy(platform, app, { tag: two, processTypes: { web: PROCESS_TYPES.web } }); // v3: image two
    expect((await serve(app)).text).toBe('two\n');
    expect((await serve(app, '/cgi-bin/env')).text).toContain('GREETING=second');

    const rollback = await platform.http().post(`${base}/releases/v1/rollback`).set(user.auth).expect(201);
    expect(rollback.body).toMatchObject({ version: 4, description: 'Rollback to v1', createdBy: user.email });
    await eventually('v4 to be current', async () => (await platform.http().get(`${base}/releases`).set(user.auth)).body[0].current);

    const releases = (await platform.http().get(`${base}/releases`).set(user.auth).expect(200)).body;
    expect(releases.map((r: { version: number; description: string }) => [r.version, r.description])).toEqual([
      [4, 'Rollback to v1'],
      [3, expect.stringMatching(/^Deploy /)],
      [2, 'Set GREETING, EXTRA'],
      [1, expect.stringMatching(/^Deploy /)],
    ]);
    expect(releases[0].image.digest).toBe(releases[3].image.digest);
    expect(releases.filter((r: { current: boolean }) => r.current)).toHaveLength(1);
    expect((await serve(app)).text).toBe('one\n');
    const env = (await serve(app, '/cgi-bin/env')).text;
    expect(env).toContain('GREETING=first');
    expect(env).not.toContain('EXTRA=');
    expect(env).toContain('PORT=5000');
    // The config vars are back to v1's too, so the next change starts from what runs.
    expect((await platform.http().get(`${base}/config`).set(user.auth).expect(200)).body).toEqual({ GREETING: 'first' });
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
  });

  it('keeps the old release serving when the new one crashes on start', async () => {
    const app = await createApp(platform, user, 'failing');
    const base = `/api/apps/${app}/environments/production`;
    await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const { failure } = await deploy(platform, app, { tag: two, processTypes: { web: PROCESS_TYPES.broken } });
    // What the push would end with.
    expect(failure?.message).toBe('Release v2 failed: web.1 exited with code 3. The previous release keeps serving.');
    const releases = (await platform.http().get(`${base}/releases`).set(user.auth).expect(200)).body;
    expect(releases[0]).toMatchObject({ version: 2, status: 'failed', current: false, failureReason: 'web.1 exited with code 3' });
    expect(releases[1]).toMatchObject({ version: 1, status: 'active', current: true });
    expect((await serve(app)).text).toBe('one\n');
    await eventually('the failed release to leave nothing behind', async () => (await instances(app)).every((i) => i.release === 1));
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
  });

  it('runs a one-off command with the release config and removes its container', async () => {
    const app = await createApp(platform, user, 'oneoff');
    const base = `/api/apps/${app}/environments/production`;
    await platform.http().post(`${base}/run`).set(user.auth).send({ command: 'true' }).expect(409);
    await platform.http().patch(`${base}/config`).set(user.auth).send({ WHO: 'berth' }).expect(200);
    await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const res = await platform.http().post(`${base}/run`).set(user.auth).send({ command: 'echo "hello $WHO"; cat /www/index.html; echo oops >&2; exit 4' }).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toContain('hello berth\none\n');
    expect(res.text).toContain('oops');
    expect(res.text.trim().split('\n').pop()).toBe('[berth] exited with code 4');
    await platform.http().post(`${base}/run`).set(user.auth).send({ command: 'x'.repeat(5000) }).expect(400);
    const left = execFileSync('podman', ['ps', '-aq', '--filter', `label=berth.app=${app}`, '--filter', 'label=berth.run']).toString().trim();
    expect(left).toBe('');
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
  });

  it("puts each app on its own network: an app's containers reach each other, never another tenant's", async () => {
    const mine = await createApp(platform, user, 'net-a');
    const other = await signUp(platform, 'other-tenant');
    const theirs = await createApp(platform, other, 'net-b');
    for (const [app, owner] of [[mine, user], [theirs, other]] as const) {
      await platform.http().patch(`/api/apps/${app}/environments/production/config`).set(owner.auth).send({ ROLE: app }).expect(200);
      await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    }
    const [target] = await eventually(`${mine} to run`, async () => (await healthyOf(mine, 1)).length === 1 && healthyOf(mine, 1));
    const row = await db.instance.findUniqueOrThrow({ where: { id: target.id }, include: { environment: true } });
    const networks = JSON.parse(execFileSync('podman', ['inspect', row.containerId!, '--format', '{{json .NetworkSettings.Networks}}']).toString());
    expect(Object.keys(networks)).toEqual([`berth-app-${row.environment.appId}`]);
    const ip = (Object.values(networks)[0] as { IPAddress: string }).IPAddress;
    const probe = `nc -w 2 ${ip} 5000 </dev/null && echo reached || echo blocked`;
    const fromMine = await platform.http().post(`/api/apps/${mine}/environments/production/run`).set(user.auth).send({ command: probe }).expect(200);
    expect(fromMine.text).toContain('reached');
    const fromTheirs = await platform.http().post(`/api/apps/${theirs}/environments/production/run`).set(other.auth).send({ command: probe }).expect(200);
    expect(fromTheirs.text).toContain('blocked');
    expect(fromTheirs.text).not.toContain('reached');
    await platform.http().delete(`/api/apps/${theirs}`).set(other.auth).expect(204);
    await platform.http().delete(`/api/apps/${mine}`).set(user.auth).expect(204);
  });

  it('restarts an instance killed for running out of memory while its neighbour keeps answering', async () => {
    const neighbour = await createApp(platform, user, 'neighbour');
    await deploy(platform, neighbour, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const hog = await createApp(platform, user, 'hog');
    await deploy(platform, hog, { tag: one, processTypes: { web: PROCESS_TYPES.eat } });
    await platform.http().patch(`/api/apps/${hog}/environments/production/formation`).set(user.auth).send({ web: { memoryMb: 32 } }).expect(200);
    await untilCurrent(hog, 2);

    const failures: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const res = await serve(neighbour).catch((error: Error) => ({ status: 0, text: error.message }));
        if (res.status !== 200) failures.push(`${res.status} ${res.text}`);
        await sleep(100);
      }
    })();
    let restarted: InstanceView;
    const reasons = new Set<string>();
    try {
      expect((await serve(hog, '/cgi-bin/eat')).text).toContain('eating');
      restarted = await eventually('the hog to be restarted and healthy again', async () => {
        const [instance] = await instances(hog);
        if (instance?.reason) reasons.add(instance.reason);
        return instance?.restartCount >= 1 && instance.healthy && instance;
      });
    } finally {
      watching = false;
      await watch;
    }
    expect(failures).toEqual([]);
    expect(restarted.reason).toBeNull();
    // While it was down, the API said why.
    expect([...reasons]).toContainEqual(expect.stringMatching(/ran out of memory at 32 MB and was killed; restarting in \d+ s/));
    // The instance's metrics count the restart as an OOM kill, against its 32 MB limit.
    const metered = await eventually('the OOM kill in the metrics', async () => {
      const { body } = await platform.http().get(`/api/apps/${hog}/environments/production/metrics?period=1h`).set(user.auth).expect(200);
      return (body.instances as { instance: string; oomKills: number; restarts: number; memoryLimitMb: number }[]).find((i) => i.instance === 'web.1' && i.oomKills >= 1);
    }, 60_000);
    expect(metered.restarts).toBeGreaterThanOrEqual(1);
    expect(metered.memoryLimitMb).toBe(32);
    await platform.http().delete(`/api/apps/${hog}`).set(user.auth).expect(204);
    await platform.http().delete(`/api/apps/${neighbour}`).set(user.auth).expect(204);
  });

  it('stops a fork bomb at its pids limit; the host and the neighbour carry on', async () => {
    const neighbour = await createApp(platform, user, 'calm');
    await deploy(platform, neighbour, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const bomb = await createApp(platform, user, 'bomb');
    await deploy(platform, bomb, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    await platform.http().patch(`/api/apps/${bomb}/environments/production/formation`).set(user.auth).send({ web: { pidsLimit: 24, cpu: 0.2 } }).expect(200);
    const [instance] = await untilCurrent(bomb, 2);
    await serve(bomb, '/cgi-bin/bomb');
    const row = await db.instance.findUniqueOrThrow({ where: { id: instance.id } });
    const pid = execFileSync('podman', ['inspect', '-f', '{{.State.Pid}}', row.containerId!]).toString().trim();
    const pidsPath = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((line) => /:pids:/.test(line))!.split(':')[2];
    const pids = (file: string) => readFileSync(`/sys/fs/cgroup/pids${pidsPath}/${file}`, 'utf8').trim();
    // pids.events counts the forks the limit refused.
    await eventually('the pids limit to refuse forks', async () => Number(pids('pids.events').split(' ')[1]) > 0);
    expect(pids('pids.max')).toBe('24');
    for (let i = 0; i < 5; i++) {
      expect(Number(pids('pids.current'))).toBeLessThanOrEqual(24);
      await sleep(200);
    }
    expect(execFileSync('sh', ['-c', 'echo host-ok']).toString()).toBe('host-ok\n');
    for (let i = 0; i < 5; i++) expect((await serve(neighbour)).text).toBe('one\n');
    await platform.http().delete(`/api/apps/${bomb}`).set(user.auth).expect(204);
    await platform.http().delete(`/api/apps/${neighbour}`).set(user.auth).expect(204);
  });

  it('adopts its containers after an agent restart, and removes those of apps deleted meanwhile', async () => {
    const keep = await createApp(platform, user, 'keep');
    const gone = await createApp(platform, user, 'gone');
    await deploy(platform, keep, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    await deploy(platform, gone, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    await platform.http().patch(`/api/apps/${keep}/environments/production/formation`).set(user.auth).send({ web: { quantity: 3 } }).expect(200);
    await eventually('three healthy instances, v1 stopped', async () => (await instances(keep)).filter((i) => i.release === 2 && i.healthy).length === 3 && (await instances(keep)).length === 3);
    const ofApp = (app: string) => agents.flatMap((a) => containersOf(a.name).filter((c) => c.app === app)).sort((a, b) => a.id.localeCompare(b.id));
    const before = ofApp(keep);
    expect(before).toHaveLength(3);
    expect(ofApp(gone)).toHaveLength(1);

    const restartedName = agents[0].name;
    await agents[0].stop();
    await platform.http().delete(`/api/apps/${gone}`).set(user.auth).expect(204);
    agents[0] = await addAgent(restartedName);
    await eventually('the deleted app to leave no container', async () => ofApp(gone).length === 0);
    await sleep(1500); // a few more rounds of every agent
    // The same three containers, one per instance: adopted, not started again.
    expect(ofApp(keep).map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(ofApp(keep).map((c) => c.instance).sort()).toEqual((await instances(keep)).map((i) => i.id).sort());
    expect((await healthyOf(keep, 2)).length).toBe(3);
    await platform.http().delete(`/api/apps/${keep}`).set(user.auth).expect(204);
    await eventually('no containers of the app left', async () => ofApp(keep).length === 0);
  });

  it('places the instances of a host that stops heartbeating on the others', async () => {
    const app = await createApp(platform, user, 'failover');
    await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    await platform.http().patch(`/api/apps/${app}/environments/production/formation`).set(user.auth).send({ web: { quantity: 2 } }).expect(200);
    const placed = await eventually('two healthy instances', async () => {
      const list = await healthyOf(app, 2);
      return list.length === 2 && list;
    });
    const lost = agents.find((a) => a.name === placed[0].host)!;
    await lost.stop();
    removeContainersOf([lost.name]); // the machine is gone, and its containers with it
    const moved = await eventually('both instances healthy on the remaining hosts', async () => {
      const list = await healthyOf(app, 2);
      return list.length === 2 && list.every((i) => i.host !== lost.name) && list;
    }, 60_000);
    expect(moved.map((i) => i.id).sort()).toEqual(placed.map((i) => i.id).sort());
    const host = await db.host.findUniqueOrThrow({ where: { name: lost.name } });
    expect(host.state).toBe('down');
    agents = agents.filter((a) => a !== lost);
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
  });
});
