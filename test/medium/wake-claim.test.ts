import { Clock } from '@berth/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { Notifier } from '@berth/contracts';
import { RedisService } from '@berth/redis';
import { Waker } from '@berth/sleep';
import { testConfig } from '../support/platform';
import { unique } from '../support/users';

/**
 * Many sleeping environments on one host woken at the same moment (the first requests of a
 * busy morning): each is booked back on the host where its stopped container is kept, as long
 * as the host has room, rather than losing the race for the host's version and being placed
 * afresh (which throws the kept container away and creates a new one).
 */
describe('waking many environments on one host at once', () => {
  let db: PrismaService;
  let waker: Waker;
  const placementsChanged: string[][] = [];
  let schedulerWoken = 0;

  beforeAll(async () => {
    const config = testConfig({ DATABASE_POOL_SIZE: '30' }) as BerthConfig;
    db = new PrismaService(config);
    const notifier = {
      placementsChanged: async (hosts: string[]) => void placementsChanged.push(hosts),
      wakeScheduler: async () => void schedulerWoken++,
    } as unknown as Notifier;
    const logs = { write: () => undefined } as unknown as LogWriter;
    // Not bootstrapped: it claims here, it does not wait for instances (no routes subscription).
    waker = new Waker(db, config, new Clock(), notifier, logs, {} as RedisService);
  });
  afterAll(async () => db.$disconnect());

  async function sleepingEnvironment(teamId: string, hostId: string, n: number): Promise<string> {
    const app = await db.app.create({ data: { name: unique(`sleepy${n}`), teamId } });
    const environment = await db.environment.create({ data: { appId: app.id, name: 'production', kind: 'production', branch: 'main', sleepAfterMinutes: 1, sleepingSince: new Date() } });
    const release = await db.release.create({ data: { environmentId: environment.id, version: 1, configEncrypted: '', description: 'test', status: 'active' } });
    await db.instance.create({
      data: {
        environmentId: environment.id, releaseId: release.id, processType: 'web', index: 1, hostId,
        memoryMb: 256, cpuMillis: 500, pidsLimit: 100, memoryRequestMb: 64, cpuRequestMillis: 25,
        desiredState: 'stopped', actualState: 'stopped', containerId: `kept-${n}`,
      },
    });
    return environment.id;
  }

  it('books all of them back on their host, claimed together, none placed afresh', async () => {
    const team = await db.team.create({ data: { name: unique('sleepers') } });
    // Room for all twenty (64 MB and 25 millicores booked each) and more.
    const host = await db.host.create({ data: { name: unique('wake-host'), memoryMb: 4096, cpuMillis: 2000, pidsLimit: 10_000 } });
    const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => sleepingEnvironment(team.id, host.id, n)));

    const woke = await Promise.all(ids.map((id) => (waker as unknown as { startInstances(id: string): Promise<boolean> }).startInstances(id)));

    expect(woke).toEqual(Array(20).fill(true));
    const instances = await db.instance.findMany({ where: { environmentId: { in: ids } } });
    expect(instances.map((i) => [i.hostId, i.desiredState, i.containerId !== null])).toEqual(Array(20).fill([host.id, 'running', true]));
    expect(schedulerWoken).toBe(0);
    // Asked for at the same moment, they were claimed together: the host's version bumped once, as a placement commit does.
    expect((await db.host.findUniqueOrThrow({ where: { id: host.id } })).version).toBe(1);
    expect(await db.environment.count({ where: { id: { in: ids }, sleepingSince: { not: null } } })).toBe(0);
  });

  it('still places afresh the ones that no longer fit on their host', async () => {
    const team = await db.team.create({ data: { name: unique('sleepers') } });
    // Room for three of the five (64 MB booked each).
    const host = await db.host.create({ data: { name: unique('wake-host'), memoryMb: 200, cpuMillis: 2000, pidsLimit: 10_000 } });
    const ids = await Promise.all(Array.from({ length: 5 }, (_, n) => sleepingEnvironment(team.id, host.id, 100 + n)));

    await Promise.all(ids.map((id) => (waker as unknown as { startInstances(id: string): Promise<boolean> }).startInstances(id)));

    const instances = await db.instance.findMany({ where: { environmentId: { in: ids } } });
    expect(instances.filter((i) => i.hostId === host.id)).toHaveLength(3);
    expect(instances.filter((i) => i.hostId === null && i.containerId === null && i.actualState === 'pending')).toHaveLength(2);
    expect(instances.every((i) => i.desiredState === 'running')).toBe(true);
  });

  it('claims the wakes asked for meanwhile together, in one transaction: one connection, not one each', async () => {
    const config = testConfig({ DATABASE_POOL_SIZE: '8' }) as BerthConfig;
    const small = new PrismaService(config);
    try {
      let transactions = 0;
      const transaction = small.$transaction.bind(small) as (work: unknown) => Promise<unknown>;
      (small as unknown as { $transaction: (work: unknown) => Promise<unknown> }).$transaction = async (work) => (transactions++, transaction(work));
      const notified: string[][] = [];
      const notifier = { placementsChanged: async (_hosts: string[], woken: string[]) => void notified.push(woken), wakeScheduler: async () => undefined } as unknown as Notifier;
      const batching = new Waker(small, config, new Clock(), notifier, { write: () => undefined } as unknown as LogWriter, {} as RedisService);
      const startInstances = (id: string) => (batching as unknown as { startInstances(id: string): Promise<boolean> }).startInstances(id);
      const team = await db.team.create({ data: { name: unique('sleepers') } });
      const host = await db.host.create({ data: { name: unique('wake-host'), memoryMb: 4096, cpuMillis: 2000, pidsLimit: 10_000 } });
      const ids = await Promise.all(Array.from({ length: 13 }, (_, n) => sleepingEnvironment(team.id, host.id, 200 + n)));
      // One whose kept instance is gone (its host was lost): it stays asleep and says why; the others still wake.
      await db.instance.deleteMany({ where: { environmentId: ids[12] } });

      const first = startInstances(ids[0]);
      const rest = ids.slice(1).map(startInstances);
      const woke = await Promise.allSettled([first, ...rest]);

      expect(woke.slice(0, 12).map((w) => w.status === 'fulfilled' && w.value)).toEqual(Array(12).fill(true));
      expect(woke[12]).toMatchObject({ status: 'rejected', reason: { name: 'WakeFailed', message: expect.stringMatching(/instances are gone/) } });
      expect(transactions).toBe(1);
      expect(notified).toHaveLength(1);
      expect(notified[0]).toHaveLength(12);
      expect(await db.instance.count({ where: { environmentId: { in: ids }, hostId: host.id, desiredState: 'running' } })).toBe(12);
      expect((await db.environment.findUniqueOrThrow({ where: { id: ids[12] } })).sleepingSince).not.toBeNull();
      // Asked for again, an environment already awake is not woken twice.
      expect(await startInstances(ids[0])).toBe(false);
      expect(transactions).toBe(2);
    } finally {
      await small.$disconnect();
    }
  });

  it("claims a failed batch's wakes again one by one: one environment the database refuses fails alone, in Berth's words", async () => {
    const team = await db.team.create({ data: { name: unique('sleepers') } });
    const host = await db.host.create({ data: { name: unique('wake-host'), memoryMb: 4096, cpuMillis: 2000, pidsLimit: 10_000 } });
    const ids = await Promise.all(Array.from({ length: 6 }, (_, n) => sleepingEnvironment(team.id, host.id, 300 + n)));
    // A real refusal from PostgreSQL for one environment's row (a trigger on it alone), as a
    // deadlock or a broken row would make: the whole batch's transaction fails with it.
    const refuse = `berth_test_refuse_${ids[3].replace(/-/g, '')}`;
    await db.$executeRawUnsafe(`CREATE FUNCTION ${refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
    await db.$executeRawUnsafe(`CREATE TRIGGER ${refuse} BEFORE UPDATE ON "Environment" FOR EACH ROW WHEN (OLD.id = '${ids[3]}'::uuid) EXECUTE FUNCTION ${refuse}()`);
    try {
      const woke = await Promise.allSettled(ids.map((id) => (waker as unknown as { startInstances(id: string): Promise<boolean> }).startInstances(id)));

      expect(woke.map((w) => w.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(woke[3]).toMatchObject({ status: 'rejected', reason: { name: 'WakeFailed', message: expect.stringMatching(/could not record its wake.*try again/) } });
      expect(JSON.stringify(woke[3])).not.toMatch(/refused by the test|prisma|P20\d\d/i);
      const awake = await db.environment.findMany({ where: { id: { in: ids } }, select: { id: true, sleepingSince: true } });
      expect(awake.filter((e) => e.sleepingSince === null).map((e) => e.id).sort()).toEqual(ids.filter((_, n) => n !== 3).sort());
      expect(await db.instance.count({ where: { environmentId: { in: ids }, hostId: host.id, desiredState: 'running' } })).toBe(5);
      expect(await db.instance.count({ where: { environmentId: ids[3], desiredState: 'stopped', containerId: 'kept-303' } })).toBe(1);
    } finally {
      await db.$executeRawUnsafe(`DROP TRIGGER ${refuse} ON "Environment"`);
      await db.$executeRawUnsafe(`DROP FUNCTION ${refuse}()`);
    }
  });
});
