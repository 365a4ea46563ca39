import { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AddressInfo, createServer } from 'node:net';
import { PrismaService } from '@berth/db';
import { EnvironmentStatusService } from '@berth/tenant-apps';
import { BerthConfig } from '@berth/config';
import { InstancePlacer, RolloutService, SchedulerLoop } from '@berth/scheduler';
import { startPlatform, startRoles, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';
import { isolatedCluster } from '../support/runtime';

/** Placement and hosts against a cluster of host rows (no agents: nothing starts). */
describe('scheduler', () => {
  let cluster: Awaited<ReturnType<typeof isolatedCluster>>;
  let platform: RunningPlatform;
  let schedulers: INestApplicationContext[] = [];
  let user: TestUser;
  let operator: TestUser;
  let db: PrismaService;
  const operatorEmail = `ops-${randomBytes(3).toString('hex')}@example.com`;

  beforeAll(async () => {
    cluster = await isolatedCluster();
    // Rounds only when asked, so the test decides when placement runs.
    const env = { ...cluster.env, SCHEDULER_INTERVAL_MS: '600000', BERTH_OPERATOR_EMAILS: `someone@example.com, ${operatorEmail.toUpperCase()}` };
    platform = await startPlatform(['api'], env);
    schedulers = await Promise.all([1, 2, 3].map(() => startRoles(['scheduler'], env)));
    db = platform.app.get(PrismaService);
    user = await signUp(platform);
    const res = await platform.http().post('/api/auth/signup').send({ email: operatorEmail, password: 'correct horse battery staple' }).expect(201);
    operator = { email: operatorEmail, password: '', token: res.body.token, team: res.body.team.name, auth: { Authorization: `Bearer ${res.body.token}` } };
  });
  afterAll(async () => {
    await Promise.all(schedulers.map((s) => s.close()));
    await platform?.close();
    await cluster?.drop();
  });

  const afterCleanup: (() => void)[] = [];
  // Each test starts from an empty cluster (this file has the database to itself).
  afterEach(async () => {
    afterCleanup.splice(0).forEach((clean) => clean());
    await db.instance.deleteMany({});
    await db.host.deleteMany({});
  });

  const addHost = (name: string, memoryMb: number, cpuMillis = 4000) =>
    db.host.create({ data: { name: `${name}-${randomBytes(2).toString('hex')}`, memoryMb, cpuMillis, pidsLimit: 100000 } });

  /** A release of a new app with `count` web instances waiting for a host. */
  async function pendingInstances(count: number, memoryMb: number) {
    const app = await createApp(platform, user, 'sched');
    const environment = await db.environment.findFirstOrThrow({ where: { app: { name: app } } });
    const release = await db.release.create({ data: { environmentId: environment.id, version: 1, configEncrypted: 'x', description: 'test', status: 'deploying' } });
    await db.instance.createMany({
      data: Array.from({ length: count }, (_, i) => ({ environmentId: environment.id, releaseId: release.id, processType: 'web', index: i + 1, memoryMb, cpuMillis: 100, pidsLimit: 10 })),
    });
    return { app, environment, release };
  }

  it('never overbooks a host when several schedulers place at once', async () => {
    const hosts = await Promise.all([addHost('a', 1000), addHost('b', 1000), addHost('c', 1000)]);
    const batches = await Promise.all(Array.from({ length: 6 }, () => pendingInstances(8, 100))); // 4800 MB asked, 3000 MB there
    // Each release placed on its own, all at once from three schedulers: the plans race for the same free capacity.
    await Promise.all(batches.map((batch, i) => schedulers[i % 3].get(InstancePlacer).placePending({ releaseId: batch.release.id })));

    const placed = await db.instance.findMany({ where: { hostId: { in: hosts.map((h) => h.id) } } });
    expect(placed).toHaveLength(30);
    for (const host of hosts) expect(placed.filter((i) => i.hostId === host.id).reduce((sum, i) => sum + i.memoryMb, 0)).toBeLessThanOrEqual(1000);
    const waiting = await db.instance.findMany({ where: { hostId: null, environmentId: { in: batches.map((b) => b.environment.id) } } });
    expect(waiting).toHaveLength(18);

    // The reason is in the API, for the team only.
    const app = batches.find((b) => waiting.some((w) => w.environmentId === b.environment.id))!.app;
    const list = (await platform.http().get(`/api/apps/${app}/environments/production/instances`).set(user.auth).expect(200)).body;
    expect(list.find((i: { host: string | null }) => i.host === null)).toMatchObject({
      actualState: 'pending',
      // (The wording is the placement algorithm's.)
      reason: expect.stringMatching(/^cannot be placed: no host has 100 Mi?B.*free .*add a host or ask for less$/),
    });
  });

  it('places the same waiting instances from several schedulers at once, each placed once', async () => {
    const hosts = await Promise.all([addHost('a', 100000, 100000), addHost('b', 100000, 100000), addHost('c', 100000, 100000)]);
    for (let round = 0; round < 10; round++) {
      const batches = await Promise.all(Array.from({ length: 3 }, () => pendingInstances(6, 10)));
      // Every scheduler goes for all of them (as their loops do) while rollouts place their own
      // release: whoever reads an instance as waiting may find it placed by the time it plans.
      await Promise.all([
        ...schedulers.map((s) => s.get(InstancePlacer).placePending()),
        ...batches.map((batch, i) => schedulers[i % 3].get(InstancePlacer).placePending({ releaseId: batch.release.id })),
      ]);
      const instances = await db.instance.findMany({ where: { releaseId: { in: batches.map((b) => b.release.id) } } });
      expect(instances).toHaveLength(18);
      expect(instances.filter((i) => !hosts.some((h) => h.id === i.hostId))).toEqual([]);
    }
  });

  it('plans again when another scheduler places the instances it read as waiting before it reads the cluster', async () => {
    await addHost('a', 10000);
    const { release } = await pendingInstances(3, 100);
    const [first, second] = [schedulers[0].get(InstancePlacer), schedulers[1].get(InstancePlacer)];
    // The first scheduler reads the waiting rows, then (its first raw query) the cluster: the
    // second one places them in between, as happens when a rollout and a loop race.
    const firstDb = schedulers[0].get(PrismaService);
    const query = firstDb.$queryRawUnsafe.bind(firstDb);
    let interleaved = false;
    const interleave = async (...args: Parameters<typeof firstDb.$queryRawUnsafe>) => {
      if (!interleaved) {
        interleaved = true;
        expect((await second.placePending({ releaseId: release.id })).placements).toHaveLength(3);
      }
      return query(...args);
    };
    const spy = jest.spyOn(firstDb, '$queryRawUnsafe').mockImplementation(interleave as typeof firstDb.$queryRawUnsafe);
    try {
      expect(await first.placePending({ releaseId: release.id })).toEqual({ placements: [], pending: [] });
    } finally {
      spy.mockRestore();
    }
    expect(interleaved).toBe(true);
    expect(await db.instance.count({ where: { releaseId: release.id, hostId: { not: null } } })).toBe(3);
  });

  it("spreads a new release's replicas over every host while the old release still runs", async () => {
    const [a, b, c] = await Promise.all([addHost('a', 1000), addHost('b', 1000), addHost('c', 1000)]);
    const { environment, release: v1 } = await pendingInstances(1, 100);
    await db.instance.updateMany({ where: { releaseId: v1.id }, data: { hostId: a.id } });
    const filler = await pendingInstances(1, 500);
    await db.instance.updateMany({ where: { releaseId: filler.release.id }, data: { hostId: b.id } }); // b is the fullest
    const v2 = await db.release.create({ data: { environmentId: environment.id, version: 2, configEncrypted: 'x', description: 'scale', status: 'deploying' } });
    await db.instance.createMany({ data: [1, 2, 3].map((index) => ({ environmentId: environment.id, releaseId: v2.id, processType: 'web', index, memoryMb: 100, cpuMillis: 100, pidsLimit: 10 })) });

    await schedulers[0].get(InstancePlacer).placePending({ releaseId: v2.id });
    const placed = await db.instance.findMany({ where: { releaseId: v2.id } });
    // One on each host: a's replica of v1 stops once v2 is current, so it does not push v2 off a.
    expect(placed.map((i) => i.hostId).sort()).toEqual([a.id, b.id, c.id].sort());
  });

  it('runs 70 default web instances on a 2-core, 24 GiB host: they book requests, not their limits', async () => {
    // As an agent registers a 2-core, 24 GiB machine (all cores, memory less AGENT_RESERVED_MEMORY_MB).
    const small = await db.host.create({ data: { name: `small-${randomBytes(2).toString('hex')}`, memoryMb: 24 * 1024 - 1024, cpuMillis: 2000, pidsLimit: 32768 } });
    const size = platform.app.get(BerthConfig).formation.production; // 256 MB, 0.5 CPU, 256 pids
    const apps = 70;
    const releases = [];
    for (let i = 0; i < apps; i++) {
      const app = await createApp(platform, user, 'dense');
      const environment = await db.environment.findFirstOrThrow({ where: { app: { name: app } } });
      releases.push(
        await db.release.create({
          data: { environmentId: environment.id, version: 1, configEncrypted: 'x', description: 'test', status: 'deploying', formation: { create: { processType: 'web', quantity: 1, ...size } } },
          include: { formation: true },
        }),
      );
    }
    // The rollouts' first step, three at a time from three schedulers (70 at once on one host
    // would retry past InstancePlacer's attempts; the scheduler loop would place the rest).
    for (let i = 0; i < releases.length; i += 3) {
      await Promise.all(releases.slice(i, i + 3).map((release, j) => schedulers[j].get(RolloutService).startInstances(release)));
    }

    const instances = await db.instance.findMany({ where: { releaseId: { in: releases.map((r) => r.id) } } });
    expect(instances).toHaveLength(apps);
    expect(instances.filter((i) => i.hostId === small.id)).toHaveLength(apps);
    expect(instances.filter((i) => i.hostId !== small.id)).toEqual([]);
    // Limits stay the formation's; requests are the defaults: an eighth of the memory limit, a two-hundredth of the CPU quota (2.5 millicores, rounded).
    expect(new Set(instances.map((i) => JSON.stringify([i.memoryMb, i.cpuMillis, i.memoryRequestMb, i.cpuRequestMillis])))).toEqual(new Set([JSON.stringify([256, 500, 32, 3])]));

    const listed = (await platform.http().get('/api/hosts').set(operator.auth).expect(200)).body;
    expect(listed.find((h: { name: string }) => h.name === small.name)).toMatchObject({
      capacity: { memoryMb: 23552, cpu: 2, pidsLimit: 32768 },
      // Pids limits are booked 16 times over the host's (PLACEMENT_OVERCOMMIT_PIDS).
      allocatable: { memoryMb: 23552, cpu: 2, pidsLimit: 16 * 32768 },
      booked: { memoryMb: 70 * 32, cpu: 0.21, pidsLimit: 70 * 256 },
      instances: 70,
    });
    // The formation shows what each instance books.
    const app = (await db.app.findFirstOrThrow({ where: { environments: { some: { id: releases[0].environmentId } } } })).name;
    const formation = (await platform.http().get(`/api/apps/${app}/environments/production/formation`).set(user.auth).expect(200)).body;
    expect(formation.web).toMatchObject({ memoryMb: 256, cpu: 0.5, memoryRequestMb: 32, cpuRequest: 0.003 });
  });

  it('lets only operators list, cordon and drain hosts', async () => {
    const full = await addHost('full', 1000);
    const spare = await addHost('spare', 1000);
    await platform.http().get('/api/hosts').set(user.auth).expect(403);
    // The dashboard shows hosts only to the users /api/auth/me calls operators.
    expect((await platform.http().get('/api/auth/me').set(user.auth).expect(200)).body.operator).toBe(false);
    expect((await platform.http().get('/api/auth/me').set(operator.auth).expect(200)).body.operator).toBe(true);
    await platform.http().post(`/api/hosts/${full.name}/drain`).set(user.auth).expect(403);

    await platform.http().post(`/api/hosts/${spare.name}/cordon`).set(operator.auth).expect(200);
    const { environment } = await pendingInstances(2, 300);
    await schedulers[0].get(InstancePlacer).placePending();
    const onFull = await db.instance.findMany({ where: { environmentId: environment.id } });
    expect(onFull.every((i) => i.hostId === full.id)).toBe(true); // the cordoned host got none

    const listed = (await platform.http().get('/api/hosts').set(operator.auth).expect(200)).body;
    expect(listed.find((h: { name: string }) => h.name === full.name)).toMatchObject({
      state: 'ready',
      cordoned: false,
      capacity: { memoryMb: 1000, cpu: 4, pidsLimit: 100000 },
      booked: { memoryMb: 600, cpu: 0.2, pidsLimit: 20 },
      instances: 2,
      lastHeartbeatAt: expect.any(String),
    });

    await platform.http().post(`/api/hosts/${spare.name}/uncordon`).set(operator.auth).expect(200);
    const drained = await platform.http().post(`/api/hosts/${full.name}/drain`).set(operator.auth).expect(200);
    expect(drained.body).toMatchObject({ state: 'draining', cordoned: true });
    await schedulers[1].get(SchedulerLoop).round();
    const moved = await db.instance.findMany({ where: { environmentId: environment.id } });
    expect(moved.every((i) => i.hostId === spare.id && i.reason?.startsWith('moved: host') === true)).toBe(true);
    await platform.http().post('/api/hosts/nowhere/cordon').set(operator.auth).expect(404);
  });

  it('keeps the instances a drain cannot move, and forgets why once the host is uncordoned', async () => {
    const only = await addHost('only', 1000);
    const { app, environment } = await pendingInstances(1, 100);
    await schedulers[0].get(InstancePlacer).placePending();
    await platform.http().post(`/api/hosts/${only.name}/drain`).set(operator.auth).expect(200);
    await schedulers[0].get(SchedulerLoop).round();
    const path = `/api/apps/${app}/environments/production/instances`;
    const [stuck] = (await platform.http().get(path).set(user.auth).expect(200)).body;
    expect(stuck).toMatchObject({ host: only.name, reason: expect.stringMatching(new RegExp(`^host ${only.name} is draining, and it fits on no other host`)) });

    await platform.http().post(`/api/hosts/${only.name}/uncordon`).set(operator.auth).expect(200);
    const [kept] = (await platform.http().get(path).set(user.auth).expect(200)).body;
    expect(kept).toMatchObject({ host: only.name, reason: null });
    expect((await db.instance.findFirstOrThrow({ where: { environmentId: environment.id } })).hostId).toBe(only.id);
  });

  it('marks a silent host down and places its instances elsewhere', async () => {
    const silent = await db.host.create({ data: { name: `silent-${randomBytes(2).toString('hex')}`, memoryMb: 1000, cpuMillis: 4000, pidsLimit: 1000 } });
    const other = await addHost('other', 1000);
    const { environment } = await pendingInstances(1, 100);
    await db.host.update({ where: { id: other.id }, data: { cordoned: true } });
    await schedulers[0].get(InstancePlacer).placePending();
    expect((await db.instance.findFirstOrThrow({ where: { environmentId: environment.id } })).hostId).toBe(silent.id);
    await db.host.update({ where: { id: other.id }, data: { cordoned: false } });
    await db.host.update({ where: { id: silent.id }, data: { lastHeartbeatAt: new Date(Date.now() - 60_000) } });
    await schedulers[2].get(SchedulerLoop).round();
    expect((await db.host.findUniqueOrThrow({ where: { id: silent.id } })).state).toBe('down');
    const moved = await db.instance.findFirstOrThrow({ where: { environmentId: environment.id } });
    expect(moved).toMatchObject({ hostId: other.id, reason: expect.stringMatching(/^moved: host silent-\w+ stopped answering$/) });
  });

  it("marks no host down for a silence that overlapped its own process's stall, until HOST_DOWN_AFTER_SECONDS have passed since", async () => {
    const watcher = await startRoles(['scheduler'], { ...cluster.env, SCHEDULER_INTERVAL_MS: '600000', HOST_DOWN_AFTER_SECONDS: '2', HOST_LOST_AFTER_SECONDS: '2' });
    try {
      const silent = await addHost('stalled', 1000);
      await db.host.update({ where: { id: silent.id }, data: { lastHeartbeatAt: new Date(Date.now() - 60_000) } });
      // The process (scheduler, and any agent in it) does not run for 1.5 s: heartbeats were held up too.
      const until = performance.now() + 1500;
      while (performance.now() < until);
      await new Promise((resolve) => setTimeout(resolve, 400));
      await watcher.get(SchedulerLoop).round();
      expect((await db.host.findUniqueOrThrow({ where: { id: silent.id } })).state).toBe('ready');
      // Still silent HOST_DOWN_AFTER_SECONDS after the stall: down.
      await new Promise((resolve) => setTimeout(resolve, 2200));
      await watcher.get(SchedulerLoop).round();
      expect((await db.host.findUniqueOrThrow({ where: { id: silent.id } })).state).toBe('down');
    } finally {
      await watcher.close();
    }
  });

  /** Its instance runs, healthy, and accepts connections on its published port (as one does while its agent is away). */
  async function answeringOnItsPort(environmentId: string) {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    afterCleanup.push(() => server.close());
    await db.instance.updateMany({ where: { environmentId }, data: { hostPort: port, actualState: 'running', healthy: true } });
    return { server, port };
  }

  it('keeps a silent host whose instances still answer: unreachable, no new placements, and down once they stop answering', async () => {
    const quiet = await addHost('quiet', 1000);
    const { environment } = await pendingInstances(1, 100);
    await schedulers[0].get(InstancePlacer).placePending();
    // Its container answers on the published port, as one does while its agent restarts.
    const { server, port } = await answeringOnItsPort(environment.id);
    await db.host.update({ where: { id: quiet.id }, data: { lastHeartbeatAt: new Date(Date.now() - 60_000) } });
    const other = await addHost('other', 1000);
    await schedulers[2].get(SchedulerLoop).round();
    expect((await db.host.findUniqueOrThrow({ where: { id: quiet.id } })).state).toBe('ready');
    expect(await db.instance.findFirstOrThrow({ where: { environmentId: environment.id } })).toMatchObject({ hostId: quiet.id, hostPort: port, healthy: true });

    // New instances go to the host that heartbeats, not to the unreachable one.
    const more = await pendingInstances(2, 100);
    await db.host.update({ where: { id: other.id }, data: { memoryMb: 150 } });
    await schedulers[0].get(InstancePlacer).placePending({ releaseId: more.release.id });
    const placed = await db.instance.findMany({ where: { releaseId: more.release.id } });
    expect(placed.filter((i) => i.hostId === quiet.id)).toEqual([]);
    expect(placed.filter((i) => i.hostId === other.id)).toHaveLength(1);
    expect(placed.find((i) => i.hostId === null)!.reason).toMatch(/1 more host is unreachable/);
    await db.host.update({ where: { id: other.id }, data: { memoryMb: 1000 } });

    // Its instance stops answering: the host is down and the instance moves.
    await new Promise((resolve) => server.close(resolve));
    await schedulers[2].get(SchedulerLoop).round();
    expect((await db.host.findUniqueOrThrow({ where: { id: quiet.id } })).state).toBe('down');
    expect(await db.instance.findFirstOrThrow({ where: { environmentId: environment.id } })).toMatchObject({ hostId: other.id, reason: expect.stringMatching(/stopped answering/) });
  });

  it('hands over the answering instance of a lost host: it keeps its endpoint as the previous one, and serves, until it is healthy elsewhere', async () => {
    const lost = await addHost('lost', 1000);
    const { environment, release } = await pendingInstances(1, 100);
    await db.release.update({ where: { id: release.id }, data: { status: 'active' } });
    await schedulers[0].get(InstancePlacer).placePending();
    const { port } = await answeringOnItsPort(environment.id);
    // Silent for longer than HOST_LOST_AFTER_SECONDS (300 s), its container still answering.
    await db.host.update({ where: { id: lost.id }, data: { lastHeartbeatAt: new Date(Date.now() - 400_000) } });
    const other = await addHost('other', 1000);
    await schedulers[1].get(SchedulerLoop).round();
    expect((await db.host.findUniqueOrThrow({ where: { id: lost.id } })).state).toBe('down');
    expect(await db.instance.findFirstOrThrow({ where: { environmentId: environment.id } })).toMatchObject({
      hostId: other.id,
      hostPort: null,
      healthy: false,
      previousHostId: lost.id,
      previousAddress: lost.address,
      previousPort: port,
    });
    // Its old copy serves meanwhile: the status says so, not "starting".
    expect((await platform.app.get(EnvironmentStatusService).status(environment.id))?.state).toBe('running');

    // Healthy at its new place: the handover ends.
    await db.instance.updateMany({ where: { environmentId: environment.id }, data: { hostPort: 40001, actualState: 'running', healthy: true } });
    await schedulers[1].get(SchedulerLoop).round();
    expect(await db.instance.findFirstOrThrow({ where: { environmentId: environment.id } })).toMatchObject({ hostId: other.id, previousHostId: null, previousAddress: null, previousPort: null });
  });
});
