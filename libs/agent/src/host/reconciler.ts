import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { BerthConfig } from '@berth/config';
import { Clock, Coalescer } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { CHANNELS, Notifier, PlacementsChangedMessage } from '@berth/contracts';
import { RedisService } from '@berth/redis';
import { ContainerRuntime } from './container-runtime';
import { HostRegistration } from './host-registration';
import { decideReconcile, nextRoundIn } from './reconcile/decide';
import { DeletedAppsPruner } from './reconcile/deleted-apps-pruner';
import { ReconcileExecutor } from './reconcile/executor';
import { InstanceHealth } from './reconcile/instance-health';
import { UsageSampler } from './reconcile/usage-sampler';
import { FACTS, metricsKeyOf, WANTED } from './reconcile/wanted';
import { WantedRows } from './reconcile/wanted-rows';

/**
 * The agent's loop: make this host's containers match its instance rows. Each round reads the
 * rows and the engine's containers (kept from its events, ContainerWatch), lets
 * `decideReconcile` (pure) say what to do and `ReconcileExecutor` do it: start what is missing, remove what nobody wants (rows gone, moved
 * elsewhere or told to stop), adopt containers found after a restart (by their labels), probe
 * web processes on PORT, restart crashed instances with backoff, report state on the rows; then
 * samples resource use and prunes deleted apps when those are due. Rounds run every
 * AGENT_RECONCILE_MS, at once when the scheduler publishes placements for this host, and sooner
 * while something is starting or waiting out its backoff.
 */
/** A round longer than this is logged with where its time went. */
const SLOW_ROUND_MS = 10_000;

@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Reconciler.name);
  private subscriber?: Redis;
  private timers: NodeJS.Timeout[] = [];
  private soon?: NodeJS.Timeout;
  /** When the next round may start (performance.now()): the last one's end plus its length. */
  private nextRoundAt = 0;
  private readonly rounds = new Coalescer(
    () => this.round(),
    (error) => this.logger.error(`reconcile failed: ${(error as Error).stack ?? error}`),
  );

  constructor(
    private readonly db: PrismaService,
    private readonly redis: RedisService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly host: HostRegistration,
    private readonly runtime: ContainerRuntime,
    private readonly notifier: Notifier,
    private readonly health: InstanceHealth,
    private readonly executor: ReconcileExecutor,
    private readonly sampler: UsageSampler,
    private readonly pruner: DeletedAppsPruner,
    private readonly wantedRows: WantedRows,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.list('-').catch((error) => {
      throw new Error(`the agent cannot reach the container engine: ${(error as Error).message}. Run \`npm run setup\` or set BERTH_ENGINE_SOCKET.`);
    });
    const host = await this.host.register();
    await this.executor.init();
    this.subscriber = this.redis.subscriber();
    await this.subscriber.subscribe(CHANNELS.placements(this.notifier.prefix));
    this.subscriber.on('message', (_channel, text) => {
      try {
        const { hostIds, woken } = JSON.parse(text) as PlacementsChangedMessage;
        if (hostIds !== '*' && !hostIds.includes(host.id)) return;
        if (Array.isArray(woken) && woken.length) void this.wake(woken);
        else this.kick();
      } catch {
        this.kick();
      }
    });
    this.timers.push(setInterval(() => this.kick(), this.config.agent.reconcileMs));
    this.timers.push(
      setInterval(() => {
        this.host.heartbeat().catch((error) => this.logger.warn(`heartbeat failed: ${(error as Error).message}`));
      }, this.config.agent.heartbeatMs),
    );
    this.kick();
  }

  /** Stops the loop and leaves the containers running: the next agent on this host adopts them. */
  async onModuleDestroy(): Promise<void> {
    this.timers.forEach(clearInterval);
    clearTimeout(this.soon);
    this.subscriber?.disconnect();
    this.executor.stop();
    await this.rounds.stop();
    await this.executor.settled();
    await this.pruner.settled();
    this.runtime.closeWatch();
  }

  kick(): void {
    this.rounds.kick();
  }

  /**
   * Instances a wake told to run again here: thawed or started at once (a round takes longer,
   * and a round under way would make them wait for it and then for another). A round follows
   * only when some of them were not woken here (no kept container, it would not run): each
   * round reads every instance of the host, and one per wake kept the process busy when fifty
   * woke at once.
   */
  private async wake(instanceIds: string[]): Promise<void> {
    let allWoken = false;
    try {
      const ids = instanceIds.filter((id) => typeof id === 'string');
      const rows = await this.db.instance.findMany({
        where: { id: { in: ids }, hostId: this.host.current.id, desiredState: 'running', release: { environment: { sleepingSince: null } } },
        include: WANTED,
      });
      const woken = await this.executor.wake(rows);
      allWoken = ids.every((id) => woken.has(id));
    } catch (error) {
      this.logger.warn(`waking instances ${instanceIds.join(', ')}: ${(error as Error).message}; the next round does it`);
    } finally {
      if (!allWoken) this.kick();
    }
  }

  /** One pass: decides, does the round's own work and queues the engine's (see `ReconcileExecutor`). */
  async round(): Promise<void> {
    // Rounds no longer wait for the engine, and each one kicked by a placement or an ended create
    // would follow the last at once: a round waits as long as the last one took, so the loop
    // (snapshot, decisions, probes) keeps at most half a core from the engine it feeds.
    const pause = this.nextRoundAt - performance.now();
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    const listedAt = performance.now();
    const containers = await this.runtime.watched(this.host.name);
    const took: [string, number][] = [['list', performance.now() - listedAt]];
    const timed = async <T>(step: string, work: Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await work;
      } finally {
        took.push([step, performance.now() - t]);
      }
    };
    // One snapshot: Prisma reads the rows and their releases and environments in separate
    // queries, and a wake committed between them showed an instance still told to stop in an
    // environment no longer asleep, which reads as "stop and remove it" (its kept container was
    // thrown away and a new one made). Instances moved off this host while it was lost are
    // read in the same snapshot: they still serve from here until they run healthy elsewhere.
    // Of the releases only what changes is read here; the rest is kept between rounds (WantedRows).
    const [facts, moved] = await timed('snapshot', this.db.$transaction(
      [
        this.db.instance.findMany({ where: { hostId: this.host.current.id }, include: FACTS }),
        this.db.instance.findMany({ where: { previousHostId: this.host.current.id }, select: { id: true } }),
      ],
      // Prisma's default limit of 5 s failed every round (so no container was started or stopped)
      // while 50 wakes loaded a host of 2,853 instances: a slow snapshot is a slow round, not none.
      { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead, timeout: 30_000, maxWait: 10_000 },
    ));
    const rows = await timed('releases', this.wantedRows.complete(facts));
    const handedOver = new Set(moved.map((row) => row.id));
    // Frozen containers of asleep environments hold their memory: short of it, they are stopped.
    const available = await this.host.availableMemoryMb().catch(() => null);
    const memoryShort = available !== null && available < this.config.sleep.pressureAvailableMb;
    const actions = decideReconcile({ rows, containers, health: this.health.all, now: this.clock.now().getTime(), handedOver, freezeMs: this.config.agent.freezeMs, memoryShort });
    // Engine work (creates, stops) goes on after the round; as each instance's ends, a round follows.
    await timed(`${actions.length} actions`, this.executor.execute(actions, listedAt, () => this.kick()));
    this.executor.forgetExcept(rows, containers);

    const now = this.clock.now().getTime();
    const wanted = new Map(rows.map((row) => [row.id, row]));
    await timed('sample', this.sampler.sampleIfDue(now, () =>
      this.health.running().map((p) => {
        const row = wanted.get(p.instanceId);
        return { ...p, key: row && metricsKeyOf(row) };
      }),
    ));
    // The containers listed at the round's start: theirs are the disks in use (one made since is
    // kept by the engine's own "in use" answer).
    this.pruner.pruneIfDue(now, new Set(containers.flatMap((c) => (c.instanceId ? [c.instanceId] : []))));
    // A slow round delays every start and stop on this host: say where its time went.
    const total = performance.now() - listedAt;
    this.nextRoundAt = performance.now() + total;
    if (total >= SLOW_ROUND_MS) {
      this.logger.warn(`a round over ${rows.length} instances and ${containers.length} containers took ${(total / 1000).toFixed(1)} s: ${took.map(([step, ms]) => `${step} ${Math.round(ms)} ms`).join(', ')}`);
    }
    // Instances with engine work under way are looked at again when it ends (the kick above), not polled.
    const wait = nextRoundIn(rows.filter((row) => !this.executor.isBusy(row.id)), this.health.all, now);
    if (wait !== undefined && !this.rounds.isStopped) {
      clearTimeout(this.soon);
      this.soon = setTimeout(() => this.kick(), wait);
    }
  }
}
