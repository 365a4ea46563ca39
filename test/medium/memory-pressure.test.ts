import { HostRegistration, Machine } from '@berth/agent';
import { Clock } from '@berth/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { Notifier } from '@berth/contracts';
import { Sleeper } from '@berth/sleep';
import { testConfig } from '../support/platform';
import { unique } from '../support/users';

/**
 * Memory pressure, on a real database: agents report their hosts' available memory with each
 * heartbeat, and the sleeper puts the least recently requested idle environments of a host short
 * of memory to sleep first, never one requested in the last minute nor one whose owner said never.
 */
describe('memory pressure', () => {
  let db: PrismaService;
  let config: BerthConfig;
  let sleeper: Sleeper;
  const lines: { environmentId: string; text: string }[] = [];
  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

  beforeAll(async () => {
    config = testConfig({ MEMORY_PRESSURE_AVAILABLE_MB: '1024', MEMORY_PRESSURE_SPARE_SECONDS: '60' }) as BerthConfig;
    db = new PrismaService(config);
    const notifier = { placementsChanged: async () => undefined, routesChanged: async () => undefined } as unknown as Notifier;
    const logs = { write: (line: { environmentId: string; text: string }) => void lines.push(line) } as unknown as LogWriter;
    sleeper = new Sleeper(db, config, new Clock(), notifier, logs);
  });
  afterAll(async () => db.$disconnect());

  /** An awake environment with one running instance on `hostId` using `usedMb`. */
  async function awake(teamId: string, hostId: string, lastRequestMinutesAgo: number, options: { sleepAfterMinutes: number | null; usedMb: number }) {
    const app = await db.app.create({ data: { name: unique('pressed'), teamId } });
    const old = minutesAgo(24 * 60);
    const environment = await db.environment.create({
      data: { appId: app.id, name: 'production', kind: 'production', branch: 'main', sleepAfterMinutes: options.sleepAfterMinutes, lastRequestAt: minutesAgo(lastRequestMinutesAgo), createdAt: old },
    });
    const release = await db.release.create({ data: { environmentId: environment.id, version: 1, configEncrypted: '', description: 'test', status: 'active', createdAt: old } });
    await db.instance.create({
      data: {
        environmentId: environment.id, releaseId: release.id, processType: 'web', index: 1, hostId,
        memoryMb: 512, cpuMillis: 500, pidsLimit: 100, memoryRequestMb: 64, cpuRequestMillis: 25,
        desiredState: 'running', actualState: 'running', healthy: true, containerId: unique('c'), memoryUsageBytes: BigInt(options.usedMb * 1024 * 1024),
      },
    });
    return environment.id;
  }

  it('is what agents report: the machine available memory, with each heartbeat', async () => {
    const name = unique('reporting-host');
    const registration = new HostRegistration(db, testConfig({ BERTH_HOST_NAME: name }) as BerthConfig, new Machine(), new Clock());
    await registration.register();
    await registration.heartbeat();
    const host = await db.host.findUniqueOrThrow({ where: { name } });
    const meminfo = await new Machine().meminfo();
    expect(host.availableMemoryMb).toBeGreaterThan(0);
    expect(host.availableMemoryMb).toBeLessThanOrEqual(Math.ceil(meminfo.MemTotal / 1024));
  });

  it('puts the least recently requested idle environments of a short host to sleep first, and says why', async () => {
    const team = await db.team.create({ data: { name: unique('pressed') } });
    // 324 MB short of the 1,024 MB threshold; each environment uses 200 MB.
    const host = await db.host.create({ data: { name: unique('short-host'), memoryMb: 4096, cpuMillis: 2000, pidsLimit: 10_000, availableMemoryMb: 700 } });
    const roomy = await db.host.create({ data: { name: unique('roomy-host'), memoryMb: 4096, cpuMillis: 2000, pidsLimit: 10_000, availableMemoryMb: 8000 } });
    const week = 7 * 24 * 60;
    const oldest = await awake(team.id, host.id, 120, { sleepAfterMinutes: week, usedMb: 200 });
    const older = await awake(team.id, host.id, 60, { sleepAfterMinutes: week, usedMb: 200 });
    const newer = await awake(team.id, host.id, 30, { sleepAfterMinutes: week, usedMb: 200 });
    const justRequested = await awake(team.id, host.id, 0.2, { sleepAfterMinutes: week, usedMb: 900 });
    const neverSleeps = await awake(team.id, host.id, 600, { sleepAfterMinutes: null, usedMb: 900 });
    const elsewhere = await awake(team.id, roomy.id, 600, { sleepAfterMinutes: week, usedMb: 200 });

    const slept = await sleeper.relieveMemoryPressure();

    const mine = new Set([oldest, older, newer, justRequested, neverSleeps, elsewhere]);
    expect(slept.map((s) => s.environmentId).filter((id) => mine.has(id))).toEqual([oldest, older]);
    const envs = await db.environment.findMany({ where: { id: { in: [...mine] } } });
    const state = new Map(envs.map((e) => [e.id, e.sleepCause]));
    expect([oldest, older, newer, justRequested, neverSleeps, elsewhere].map((id) => state.get(id))).toEqual(['memory_pressure', 'memory_pressure', null, null, null, null]);
    const stopped = await db.instance.findMany({ where: { environmentId: { in: [oldest, older] } } });
    expect(stopped.map((i) => i.desiredState)).toEqual(['stopped', 'stopped']);
    expect(lines.find((l) => l.environmentId === oldest)?.text).toMatch(/^slept to free memory: host short-host-\w+ had 700 MB available, below 1024 MB/);

    // Relieved (the agent reports more available memory): nothing more sleeps.
    await db.host.update({ where: { id: host.id }, data: { availableMemoryMb: 2000 } });
    const after = await sleeper.relieveMemoryPressure();
    expect(after.filter((s) => mine.has(s.environmentId))).toEqual([]);
  });
});
