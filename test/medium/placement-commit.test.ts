import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { ClusterSnapshot, claimHosts, loadClusterInput, place, PlacementConflict, PlacementPlan, placeWithRetry, Resources, spreadGroup } from '@berth/placement';
import { testConfig } from '../support/platform';
import { unique } from '../support/users';

/**
 * Plans committed through claimHosts against real PostgreSQL: many placers racing for a few
 * small hosts never book more than the hosts hold.
 */

type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];

const CAPACITY: Resources = { memoryMb: 1024, cpuMillis: 1000, pidsLimit: 400 };
const POLICY = { overcommit: { memoryMb: 1, cpuMillis: 2, pidsLimit: 1 } };
/** Sizes that run each host out of a different resource first. */
const SIZES: Resources[] = [
  { memoryMb: 256, cpuMillis: 200, pidsLimit: 20 }, // memory
  { memoryMb: 64, cpuMillis: 450, pidsLimit: 20 }, // CPU (2000 millicores with overcommit)
  { memoryMb: 64, cpuMillis: 100, pidsLimit: 90 }, // pids
];

describe('committing placements with the optimistic host check', () => {
  let db: PrismaService;
  let environmentId: string;
  let releaseId: string;

  beforeAll(async () => {
    db = new PrismaService(testConfig({ DATABASE_POOL_SIZE: '30' }) as BerthConfig);
    const team = await db.team.create({ data: { name: unique('placers') } });
    const app = await db.app.create({ data: { name: unique('placed'), teamId: team.id } });
    const environment = await db.environment.create({ data: { appId: app.id, name: 'production', kind: 'production', branch: 'main' } });
    const release = await db.release.create({ data: { environmentId: environment.id, version: 1, configEncrypted: '', description: 'test' } });
    environmentId = environment.id;
    releaseId = release.id;
  });
  afterAll(async () => db.$disconnect());

  async function makeHosts(count: number): Promise<string[]> {
    const stem = unique('host');
    const hosts = await Promise.all(Array.from({ length: count }, (_, i) => db.host.create({ data: { name: `${stem}-${i}`, ...CAPACITY } })));
    return hosts.map((h) => h.id);
  }

  /** The cluster as the scheduler would read it, narrowed to this test's hosts (other tests share the database). */
  async function snapshotOf(hostIds: string[]): Promise<ClusterSnapshot> {
    const input = await loadClusterInput(db);
    const mine = new Set(hostIds);
    return ClusterSnapshot.build({ hosts: input.hosts.filter((h) => mine.has(h.id)), instances: input.instances.filter((i) => mine.has(i.hostId)) }, POLICY);
  }

  /** What the scheduler writes after claiming the hosts: the placed instances. */
  async function writeInstances(tx: Tx, plan: PlacementPlan, processType: string, placedBefore = 0): Promise<number> {
    await tx.instance.createMany({
      // (release, process type, index) is unique: number on from what this placer placed before.
      data: plan.placements.map((p, i) => ({ environmentId, releaseId, processType, index: placedBefore + i + 1, hostId: p.hostId, ...p.resources })),
    });
    return plan.placements.length;
  }

  async function bookedOn(hostIds: string[]) {
    const rows = await db.instance.groupBy({ by: ['hostId'], where: { hostId: { in: hostIds }, desiredState: 'running' }, _sum: { memoryMb: true, cpuMillis: true, pidsLimit: true }, _count: true });
    return new Map(rows.map((r) => [r.hostId!, { memoryMb: r._sum.memoryMb ?? 0, cpuMillis: r._sum.cpuMillis ?? 0, pidsLimit: r._sum.pidsLimit ?? 0, count: r._count }]));
  }

  it('20 concurrent placers against 3 small hosts never overbook, and fill them', async () => {
    const hostIds = await makeHosts(3);
    let conflicts = 0;
    const placer = async (n: number) => {
      const size = SIZES[n % SIZES.length];
      const processType = `p${n}`;
      let placed = 0;
      for (;;) {
        const committed = await placeWithRetry(db, {
          load: () => snapshotOf(hostIds),
          plan: (snapshot) => place(snapshot, { group: spreadGroup(environmentId, processType), resources: size, count: 1 }),
          write: (tx, plan) => writeInstances(tx, plan, processType, placed),
          attempts: 500,
          transactionOptions: { maxWait: 20_000, timeout: 20_000 },
        });
        conflicts += committed.attempts - 1;
        if (committed.result === 0) return placed; // the plan was all pending: this size fits nowhere any more
        placed += committed.result;
      }
    };
    const placed = await Promise.all(Array.from({ length: 20 }, (_, n) => placer(n)));

    const booked = await bookedOn(hostIds);
    const hosts = await db.host.findMany({ where: { id: { in: hostIds } } });
    for (const host of hosts) {
      const b = booked.get(host.id)!;
      expect(b.memoryMb).toBeLessThanOrEqual(host.memoryMb * POLICY.overcommit.memoryMb);
      expect(b.cpuMillis).toBeLessThanOrEqual(host.cpuMillis * POLICY.overcommit.cpuMillis);
      expect(b.pidsLimit).toBeLessThanOrEqual(host.pidsLimit * POLICY.overcommit.pidsLimit);
      // Every commit placed one instance on one host and bumped its version once.
      expect(host.version).toBe(b.count);
    }
    expect(placed.reduce((a, b) => a + b, 0)).toBe([...booked.values()].reduce((n, b) => n + b.count, 0));
    // The race was real, and nobody gave up early: no size fits anywhere now.
    expect(conflicts).toBeGreaterThan(0);
    const full = await snapshotOf(hostIds);
    for (const size of SIZES) expect(place(full, { group: 'probe', resources: size, count: 1 }).pending).toHaveLength(1);
  });

  it('rejects a plan made before another commit, writing nothing of it', async () => {
    const [hostId] = await makeHosts(1);
    const big: Resources = { memoryMb: 768, cpuMillis: 100, pidsLimit: 10 };
    // Both plans see the empty host; together they would book 1536 MiB of its 1024.
    const first = place(await snapshotOf([hostId]), { group: 'a/web', resources: big, count: 1 });
    const second = place(await snapshotOf([hostId]), { group: 'b/web', resources: big, count: 1 });
    expect(second.claims).toEqual(first.claims);

    await db.$transaction(async (tx) => {
      await claimHosts(tx, first);
      await writeInstances(tx, first, 'a');
    });
    const error = await db
      .$transaction(async (tx) => {
        await claimHosts(tx, second);
        await writeInstances(tx, second, 'b');
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlacementConflict);
    expect(await bookedOn([hostId])).toEqual(new Map([[hostId, { memoryMb: 768, cpuMillis: 100, pidsLimit: 10, count: 1 }]]));
    // Planned again from the database, the second request is pending instead.
    expect(place(await snapshotOf([hostId]), { group: 'b/web', resources: big, count: 1 }).pending[0].reason).toMatch(/^no host has 768 MiB of memory free \(largest free: 256 MiB on host-/);
  });

  it('rejects a plan for a host cordoned after planning, even though its version did not move', async () => {
    const [hostId] = await makeHosts(1);
    const plan = place(await snapshotOf([hostId]), { group: 'a/web', resources: SIZES[0], count: 1 });
    await db.host.update({ where: { id: hostId }, data: { cordoned: true } });
    await expect(db.$transaction((tx) => claimHosts(tx, plan))).rejects.toBeInstanceOf(PlacementConflict);
    expect((await db.host.findUniqueOrThrow({ where: { id: hostId } })).version).toBe(0);
  });
});
