import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock, Every } from '@berth/common';
import { PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { Notifier } from '@berth/contracts';
import { decideSleep, SleepDecision } from './sleep-decision';

/**
 * Puts idle environments to sleep (scheduler role): every SLEEP_CHECK_SECONDS it reads the
 * environments that may sleep, decides with decideSleep, and stops the instances of those idle
 * for sleepAfterMinutes. Their rows stay (desiredState stopped, so they book nothing) and so do
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
        await this.db.environment.updateMany({ where: { id: env.id, sleepingSince: env.sleepingSince }, data: { sleepingSince: null } });
        changed.set(env.id, decision);
        continue;
      }
      const slept = await this.db.$transaction(async (tx) => {
        // Conditioned on what was decided from: a request or a wake in between leaves it awake.
        const flipped = await tx.environment.updateMany({
          where: { id: env.id, sleepingSince: env.sleepingSince, lastRequestAt: env.lastRequestAt },
          data: { sleepingSince: decision.action === 'sleep' ? now : env.sleepingSince },
        });
        if (!flipped.count) return false;
        await tx.instance.updateMany({ where: { id: { in: awake.map((i) => i.id) }, desiredState: 'running' }, data: { desiredState: 'stopped' } });
        return true;
      });
      if (!slept) continue;
      changed.set(env.id, decision);
      await this.notifier.placementsChanged(awake.map((i) => i.hostId).filter((id): id is string => Boolean(id)));
      await this.notifier.routesChanged(env.id);
      const text =
        decision.action === 'sleep'
          ? `slept after ${decision.idleMinutes} minute${decision.idleMinutes === 1 ? '' : 's'} without requests`
          : `release v${current.version} is ready and back asleep: the environment was asleep when it was made; the next request wakes it`;
      this.logs.write({ environmentId: env.id, time: now, source: 'berth', release: current.version, text });
    }
    return changed;
  }
}
