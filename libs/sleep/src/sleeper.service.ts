import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock, Every } from '@berth/common';
import { PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { Notifier } from '@berth/contracts';
import { decidePressureSleeps, PressureSleep } from './memory-pressure';
import { decideSleep, SleepDecision } from './sleep-decision';

/**
 * Puts idle environments to sleep (scheduler role): every SLEEP_CHECK_SECONDS it reads the
 * environments that may sleep, decides with decideSleep, and stops the instances of those idle
 * for sleepAfterMinutes. Then, for hosts whose agents report less available memory than
 * MEMORY_PRESSURE_AVAILABLE_MB, it puts the least recently requested idle ones there to sleep
 * (decidePressureSleeps) before the kernel would have to OOM-kill anything. Their rows stay (desiredState stopped, so they book nothing) and so do
 * their containers, stopped: waking is a start, not a create. Safe beside another scheduler's
 * sleeper: each change is conditioned on the state it was decided from.
 */
@Injectable()
export class Sleeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Sleeper');
  private readonly every: Every;

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
    private readonly logs: LogWriter,
  ) {
    this.every = new Every(this.config.sleep.checkMs, () => this.round(), (error) => this.logger.error(`sleep round failed: ${error.message}`), { oneAtATime: true });
  }

  onApplicationBootstrap(): void {
    this.every.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.every.stop();
  }

  /** One pass over the environments that sleep or may; returns what it decided for each one it changed. */
  async round(): Promise<Map<string, SleepDecision>> {
    const now = this.clock.now();
    const envs = await this.db.environment.findMany({
      where: { OR: [{ sleepAfterMinutes: { not: null } }, { sleepingSince: { not: null } }], instances: { some: { desiredState: 'running' } } },
      select: {
        id: true,
        sleepAfterMinutes: true,
        sleepingSince: true,
        lastRequestAt: true,
        createdAt: true,
        releases: { orderBy: { version: 'desc' }, take: 1, select: { createdAt: true, status: true } },
      },
    });
    const changed = new Map<string, SleepDecision>();
    for (const env of envs) {
      const current = await this.db.release.findFirst({ where: { environmentId: env.id, status: 'active' }, orderBy: { version: 'desc' }, select: { id: true, version: true } });
      const awake = current ? await this.db.instance.findMany({ where: { releaseId: current.id, desiredState: 'running' }, select: { id: true, hostId: true } }) : [];
      const newest = env.releases[0];
      const decision = decideSleep(
        {
          ...env,
          newestRelease: newest ? { createdAt: newest.createdAt, rolling: newest.status === 'pending' || newest.status === 'deploying' } : null,
          awakeInstances: awake.length,
        },
        now,
        this.config.sleep.minuteMs,
      );
      if (decision.action === 'none' || !current) continue;
      if (decision.action === 'awake') {
        await this.db.environment.updateMany({ where: { id: env.id, sleepingSince: env.sleepingSince }, data: { sleepingSince: null, sleepCause: null } });
        changed.set(env.id, decision);
        continue;
      }
      const text =
        decision.action === 'sleep'
          ? `slept after ${decision.idleMinutes} minute${decision.idleMinutes === 1 ? '' : 's'} without requests`
          : `release v${current.version} is ready and back asleep: the environment was asleep when it was made; the next request wakes it`;
      const slept = await this.putToSleep(env, awake, decision.action === 'sleep' ? now : env.sleepingSince!, decision.action === 'sleep' ? 'idle' : undefined, current.version, text);
      if (slept) changed.set(env.id, decision);
    }
    for (const sleep of await this.relieveMemoryPressure()) changed.set(sleep.environmentId, { action: 'sleep', idleMinutes: 0 });
    return changed;
  }

  /** Puts the least recently requested idle environments of hosts short of memory to sleep; returns those it did. */
  async relieveMemoryPressure(): Promise<PressureSleep[]> {
    const { pressureAvailableMb, pressureSpareMs } = this.config.sleep;
    const hosts = await this.db.host.findMany({
      where: { state: { not: 'down' }, availableMemoryMb: { lt: pressureAvailableMb } },
      select: { id: true, name: true, availableMemoryMb: true },
    });
    if (hosts.length === 0) return [];
    const now = this.clock.now();
    const running = await this.db.instance.findMany({
      where: { hostId: { in: hosts.map((h) => h.id) }, desiredState: 'running', release: { status: 'active' }, environment: { sleepingSince: null } },
      select: {
        id: true,
        hostId: true,
        memoryMb: true,
        memoryUsageBytes: true,
        release: { select: { version: true } },
        environment: {
          select: { id: true, sleepAfterMinutes: true, sleepingSince: true, lastRequestAt: true, createdAt: true, releases: { orderBy: { version: 'desc' }, take: 1, select: { createdAt: true } } },
        },
      },
    });
    const byEnv = new Map<string, (typeof running)[number][]>();
    for (const instance of running) byEnv.set(instance.environment.id, [...(byEnv.get(instance.environment.id) ?? []), instance]);
    const candidates = [...byEnv.values()].map((instances) => {
      const env = instances[0].environment;
      const memoryMbByHost = new Map<string, number>();
      for (const i of instances) {
        const used = i.memoryUsageBytes === null ? i.memoryMb : Number(i.memoryUsageBytes) / (1024 * 1024);
        memoryMbByHost.set(i.hostId!, (memoryMbByHost.get(i.hostId!) ?? 0) + used);
      }
      const activeAt = Math.max(env.lastRequestAt?.getTime() ?? 0, env.releases[0]?.createdAt.getTime() ?? 0, env.createdAt.getTime());
      return { environmentId: env.id, maySleep: env.sleepAfterMinutes !== null, activeAt: new Date(activeAt), memoryMbByHost };
    });
    const sleeps = decidePressureSleeps(hosts, candidates, pressureAvailableMb, pressureSpareMs, now);
    if (sleeps.length === 0) {
      this.logger.warn(
        `memory pressure on ${hosts.map((h) => `${h.name} (${h.availableMemoryMb} MB available)`).join(', ')} below MEMORY_PRESSURE_AVAILABLE_MB=${pressureAvailableMb}, but no idle environment there may sleep`,
      );
      return [];
    }
    const done: PressureSleep[] = [];
    for (const sleep of sleeps) {
      const instances = byEnv.get(sleep.environmentId)!;
      const env = instances[0].environment;
      const text = `slept to free memory: host ${sleep.host.name} had ${sleep.host.availableMemoryMb} MB available, below ${pressureAvailableMb} MB, and this environment was the least recently requested there; the next request wakes it`;
      const awake = await this.db.instance.findMany({ where: { environmentId: env.id, desiredState: 'running', release: { status: 'active' } }, select: { id: true, hostId: true } });
      if (await this.putToSleep(env, awake, now, 'memory_pressure', instances[0].release.version, text)) {
        this.logger.warn(`${text} (environment ${env.id})`);
        done.push(sleep);
      }
    }
    return done;
  }

  /**
   * Stops an environment's awake instances (containers kept) and marks it asleep since `since`,
   * conditioned on the facts it was decided from: a request or a wake in between leaves it awake.
   */
  private async putToSleep(
    env: { id: string; sleepingSince: Date | null; lastRequestAt: Date | null },
    awake: { id: string; hostId: string | null }[],
    since: Date,
    /** Why it sleeps; undefined keeps the cause it fell asleep for (back to sleep after a release). */
    cause: 'idle' | 'memory_pressure' | undefined,
    version: number,
    text: string,
  ): Promise<boolean> {
    const slept = await this.db.$transaction(async (tx) => {
      const flipped = await tx.environment.updateMany({
        where: { id: env.id, sleepingSince: env.sleepingSince, lastRequestAt: env.lastRequestAt },
        data: { sleepingSince: since, ...(cause ? { sleepCause: cause } : {}) },
      });
      if (!flipped.count) return false;
      await tx.instance.updateMany({ where: { id: { in: awake.map((i) => i.id) }, desiredState: 'running' }, data: { desiredState: 'stopped' } });
      return true;
    });
    if (!slept) return false;
    await this.notifier.placementsChanged(awake.map((i) => i.hostId).filter((id): id is string => Boolean(id)));
    await this.notifier.routesChanged(env.id);
    this.logs.write({ environmentId: env.id, time: this.clock.now(), source: 'berth', release: version, text });
    return true;
  }
}
