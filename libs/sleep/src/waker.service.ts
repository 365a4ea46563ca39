import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { allocatable } from '@berth/placement';
import { CHANNELS, Notifier, Route, routableInstances, wokenElsewhere, wokenInPlace } from '@berth/contracts';
import { RedisService } from '@berth/redis';

/** Why a sleeping environment could not be woken, in words for the 503 page. */
export class WakeFailed extends Error {
  override readonly name = 'WakeFailed';
}

/** Wakes claimed together in one transaction at most. */
const CLAIM_BATCH = 100;

type Resources = { memoryMb: number; memoryRequestMb: number | null; cpuMillis: number; cpuRequestMillis: number | null; pidsLimit: number };

interface HostRoom {
  version: number;
  ready: boolean;
  lastHeartbeatAt: Date;
  memoryMb: number;
  cpuMillis: number;
  pidsLimit: number;
  bookedMemoryMb: number;
  bookedCpuMillis: number;
  bookedPids: number;
}

// The host's capacity and what its running instances book, read in the waking transaction.
const HOST_ROOM = `SELECT h.version, (h.state = 'ready' AND NOT h.cordoned) AS ready, h."lastHeartbeatAt",
  h."memoryMb", h."cpuMillis", h."pidsLimit",
  COALESCE(SUM(COALESCE(i."memoryRequestMb", i."memoryMb")), 0)::int AS "bookedMemoryMb",
  COALESCE(SUM(COALESCE(i."cpuRequestMillis", i."cpuMillis")), 0)::int AS "bookedCpuMillis",
  COALESCE(SUM(i."pidsLimit"), 0)::int AS "bookedPids"
  FROM "Host" h LEFT JOIN "Instance" i ON i."hostId" = h.id AND i."desiredState" = 'running'
  WHERE h.id = $1::uuid GROUP BY h.id`;
const CLAIM_HOST = `UPDATE "Host" SET version = version + 1 WHERE id = $1::uuid AND version = $2`;
// Wakes on one host take turns: without the lock, concurrent wakes read the same version, all
// but one lose the claim and are placed afresh (their kept containers thrown away).
const LOCK_HOST = `SELECT id FROM "Host" WHERE id = $1::uuid FOR UPDATE`;

/**
 * How often a wake looks for a healthy instance without being told: the agent announces each
 * instance it marks healthy (the routes channel), so this only bounds a lost message. Fifty
 * wakes polling every 25 ms made 2,000 queries a second in the router's process.
 */
const POLL_MS = 250;

/**
 * Wakes a sleeping environment: clears sleepingSince and tells its kept instances to run again
 * on the host they sleep on, where their stopped containers are (the agent starts them, it does
 * not create them) when that host still has room; elsewhere (placed afresh by the scheduler)
 * when it has not. Concurrent wakes of one environment share one attempt, and across processes
 * only the one that clears sleepingSince wakes it (and logs "woke on a request").
 */
@Injectable()
export class Waker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Waker');
  private readonly inFlight = new Map<string, Promise<Route>>();
  /** Wakes waiting for their environment's routes to change, by environment. */
  private readonly waiting = new Map<string, Set<() => void>>();
  private subscriber?: Redis;
  /** Wakes asked for and not yet in a claim, by environment: their callers. */
  private readonly asked = new Map<string, { resolve: (woke: boolean) => void; reject: (error: Error) => void }[]>();
  /** The claims under way, one after another, while wakes are asked for. */
  private claiming: Promise<void> | null = null;

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
    private readonly logs: LogWriter,
    private readonly redis: RedisService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber = this.redis.subscriber();
    this.subscriber.on('message', (_channel: string, environmentId: string) => this.waiting.get(environmentId)?.forEach((resolve) => resolve()));
    await this.subscriber.subscribe(CHANNELS.routes(this.notifier.prefix));
  }

  onModuleDestroy(): void {
    this.subscriber?.disconnect();
  }

  /** Resolves when the environment's routes change, or after `ms`; `cancel` stops waiting. */
  private routesChange(environmentId: string, ms: number): { changed: Promise<void>; cancel: () => void } {
    let done!: () => void;
    const changed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      done = () => {
        clearTimeout(timer);
        const waiters = this.waiting.get(environmentId);
        waiters?.delete(done);
        if (waiters?.size === 0) this.waiting.delete(environmentId);
        resolve();
      };
      this.waiting.set(environmentId, (this.waiting.get(environmentId) ?? new Set()).add(done));
    });
    return { changed, cancel: done };
  }

  /** Whether a wake of this environment is under way in this process. */
  waking(environmentId: string): boolean {
    return this.inFlight.has(environmentId);
  }

  /** Wakes the environment (once, however many ask) and resolves with a healthy instance to send the request to. */
  wake(environmentId: string): Promise<Route> {
    let wake = this.inFlight.get(environmentId);
    if (!wake) {
      wake = this.run(environmentId).finally(() => this.inFlight.delete(environmentId));
      this.inFlight.set(environmentId, wake);
    }
    return wake;
  }

  private async run(environmentId: string): Promise<Route> {
    // Answer before HAProxy gives up on the status server (ROUTER_RESPONSE_TIMEOUT_SECONDS) with a bare 504.
    const waitMs = Math.min(this.config.sleep.wakeTimeoutMs, this.config.router.responseTimeoutSeconds * 1000 - 1000);
    const deadline = Date.now() + waitMs;
    const woke = await this.startInstances(environmentId);
    // Woken by this claim: it marked the instances not healthy, so none serves yet and the first
    // look waits for the agent's word (or the poll). Looking at once cost about three statements
    // a wake that always found nothing: 16.0 statements a wake before, 12.3 after, in a storm of
    // 95 wakes (bench:density).
    let look = !woke;
    for (;;) {
      // Listening before looking: an instance marked healthy meanwhile is not missed.
      const next = this.routesChange(environmentId, POLL_MS);
      const routes = look ? await routableInstances(this.db, environmentId) : [];
      look = true;
      if (routes.length) {
        next.cancel();
        return routes[Math.floor(Math.random() * routes.length)];
      }
      if (Date.now() > deadline) {
        const reason = await this.db.instance.findFirst({ where: { environmentId, processType: 'web', desiredState: 'running', reason: { not: null } }, select: { reason: true } });
        next.cancel();
        throw new WakeFailed(
          `It was asleep and did not wake within ${Math.round(waitMs / 1000)} s${reason?.reason ? `: ${reason.reason}` : ''}${woke ? '' : ' (another router is waking it)'}.`,
        );
      }
      await next.changed;
    }
  }

  /**
   * Flips the environment awake and books its kept instances back on their host; resolves false
   * when it was not asleep (someone else woke it). The wakes asked for while a claim is under way
   * are claimed together in the next one, one transaction for all of them.
   *
   * One transaction per wake made fifty wakes on one host queue on the host's row lock, each
   * holding one of the process's database connections while it waited: every other query (the
   * agent's heartbeat and snapshot, the instances marked healthy, the routes the wakes wait for)
   * waited for a connection, and the host was once marked unreachable for a missed heartbeat.
   * With two such transactions at most at a time, their queue was 1.6 s of a frozen wake's
   * 2.0 s p50 in a storm of fifty (`bench:density`, 300 environments).
   */
  private startInstances(environmentId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.asked.set(environmentId, [...(this.asked.get(environmentId) ?? []), { resolve, reject }]);
      this.claiming ??= this.claimWhileAsked();
    });
  }

  private async claimWhileAsked(): Promise<void> {
    // The wakes asked for at this same moment (a burst of first requests) join the first claim.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.asked.size) {
      const batch = [...this.asked].slice(0, CLAIM_BATCH);
      for (const [id] of batch) this.asked.delete(id);
      const ids = batch.map(([id]) => id);
      let outcomes: Map<string, boolean | WakeFailed>;
      try {
        outcomes = await this.claim(ids);
      } catch (error) {
        const failed = this.claimFailed(ids, error);
        outcomes = new Map(ids.map((id) => [id, failed]));
        // One environment's failure (or a deadlock with another router's batch) must not fail
        // every wake in the batch: the transaction rolled back, so each is claimed again alone.
        if (ids.length > 1) for (const id of ids) outcomes.set(id, await this.claim([id]).then((alone) => alone.get(id)!, (lone: unknown) => this.claimFailed([id], lone)));
      }
      for (const [id, callers] of batch) {
        const outcome = outcomes.get(id)!;
        for (const caller of callers) (outcome instanceof Error ? caller.reject(outcome) : caller.resolve(outcome));
      }
    }
    this.claiming = null;
  }

  /** Logs why a claim failed and says it in Berth's words (the database's are not the visitor's). */
  private claimFailed(environmentIds: string[], error: unknown): WakeFailed {
    const why = (error as Error).message?.trim().split('\n').pop();
    this.logger.warn(environmentIds.length > 1 ? `claiming ${environmentIds.length} wakes together failed (${why}); claiming them one by one` : `claiming the wake of environment ${environmentIds[0]} failed: ${why}`);
    return new WakeFailed('It was asleep and Berth could not record its wake (its database refused the change); try again in a few seconds.');
  }

  /**
   * One transaction for a batch of wakes: each environment still asleep is flipped awake, and its
   * kept instances booked on the host they sleep on while it has room (hosts in id order, each
   * locked once, as every claim does), else left to the scheduler. An environment whose kept
   * instances are gone stays asleep and gets a WakeFailed; the others still wake.
   */
  private async claim(environmentIds: string[]): Promise<Map<string, boolean | WakeFailed>> {
    const now = this.clock.now();
    const outcomes = new Map<string, boolean | WakeFailed>(environmentIds.map((id) => [id, false]));
    const result = await this.db.$transaction(async (tx) => {
      const before = new Map(
        (await tx.environment.findMany({ where: { id: { in: environmentIds }, sleepingSince: { not: null } }, select: { id: true, sleepingSince: true, sleepCause: true } })).map((e) => [e.id, e]),
      );
      const flipped = (
        await tx.environment.updateManyAndReturn({ where: { id: { in: environmentIds }, sleepingSince: { not: null } }, data: { sleepingSince: null, sleepCause: null, lastRequestAt: now }, select: { id: true } })
      ).map((e) => e.id);
      const current = new Map<string, { id: string; version: number }>();
      for (const release of await tx.release.findMany({ where: { environmentId: { in: flipped }, status: 'active' }, orderBy: { version: 'desc' }, select: { id: true, version: true, environmentId: true } })) {
        if (!current.has(release.environmentId)) current.set(release.environmentId, release);
      }
      const kept = await tx.instance.findMany({ where: { releaseId: { in: [...current.values()].map((r) => r.id) }, desiredState: 'stopped' }, orderBy: { hostId: 'asc' } });
      const woke = new Map<string, { version: number | null; woken: string[]; moved: number }>();
      const byHost = new Map<string | null, Map<string, typeof kept>>();
      for (const environmentId of flipped) {
        const release = current.get(environmentId);
        const rows = release ? kept.filter((row) => row.releaseId === release.id) : [];
        if (release && !rows.length) {
          // Asleep still: its flip is undone in this same transaction, nobody saw it.
          const was = before.get(environmentId);
          await tx.environment.update({ where: { id: environmentId }, data: { sleepingSince: was?.sleepingSince ?? now, sleepCause: was?.sleepCause ?? null } });
          outcomes.set(environmentId, new WakeFailed('It was asleep and its instances are gone (their host was lost); push again or roll back to start it.'));
          continue;
        }
        woke.set(environmentId, { version: release?.version ?? null, woken: [], moved: 0 });
        outcomes.set(environmentId, true);
        for (const row of rows) {
          const onHost = byHost.get(row.hostId) ?? byHost.set(row.hostId, new Map()).get(row.hostId)!;
          onHost.set(environmentId, [...(onHost.get(environmentId) ?? []), row]);
        }
      }
      const hosts = new Set<string>();
      const inPlace: string[] = [];
      const elsewhere: string[] = [];
      // Host ids in order: every claim locks hosts in the same order (see @berth/placement claimHosts).
      for (const hostId of [...byHost.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : 1))) {
        const booked = hostId ? await this.claimRoom(tx, hostId, [...byHost.get(hostId)!.values()]) : new Set<number>();
        if (hostId) hosts.add(hostId);
        [...byHost.get(hostId)!].forEach(([environmentId, rows], n) => {
          const summary = woke.get(environmentId)!;
          if (booked.has(n)) {
            // Not healthy until the agent has probed it since the wake: it may still be stopping the container for the sleep.
            inPlace.push(...rows.map((r) => r.id));
            summary.woken.push(...rows.map((r) => r.id));
          } else {
            // No room where its containers sleep: the scheduler places them afresh; the agent there removes the old ones.
            elsewhere.push(...rows.map((r) => r.id));
            summary.moved += rows.length;
          }
        });
      }
      if (inPlace.length) await tx.instance.updateMany({ where: { id: { in: inPlace } }, data: wokenInPlace() });
      if (elsewhere.length) await tx.instance.updateMany({ where: { id: { in: elsewhere } }, data: wokenElsewhere() });
      return { woke, hosts: [...hosts], woken: inPlace, moved: elsewhere.length };
    });
    if (!result.woke.size) return outcomes;
    // Their agents thaw or start the kept containers at once, not at their next round.
    await this.notifier.placementsChanged(result.hosts, result.woken);
    if (result.moved) await this.notifier.wakeScheduler();
    for (const [environmentId, { version, moved }] of result.woke) {
      this.logs.write({ environmentId, time: now, source: 'berth', release: version, text: 'woke on a request' });
      this.logger.log(`woke environment ${environmentId}${moved ? ` (${moved} instance(s) placed afresh: no room on their host)` : ''}`);
    }
    return outcomes;
  }

  /**
   * Books groups of instances (each an environment's, all or none) on their host while it takes
   * placements and has room, in order: no placement round needed. Returns the groups booked.
   */
  private async claimRoom(tx: Prisma.TransactionClient, hostId: string, groups: Resources[][]): Promise<Set<number>> {
    await tx.$queryRawUnsafe(LOCK_HOST, hostId);
    // Read after the lock: what the claims before this one booked is committed and counted.
    const [room] = await tx.$queryRawUnsafe<HostRoom[]>(HOST_ROOM, hostId);
    const booked = new Set<number>();
    // A host whose agent went quiet takes no instances (placement reads it as unreachable).
    if (!room?.ready || new Date(room.lastHeartbeatAt).getTime() < this.clock.now().getTime() - this.config.scheduler.hostDownAfterMs) {
      this.logger.warn(`waking on host ${hostId}: it does not take instances now; placing them afresh`);
      return booked;
    }
    const { overcommit } = this.config.placement;
    const total = { memoryMb: room.bookedMemoryMb, cpuMillis: room.bookedCpuMillis, pids: room.bookedPids };
    groups.forEach((rows, n) => {
      const ask = rows.reduce(
        (sum, r) => ({ memoryMb: sum.memoryMb + (r.memoryRequestMb ?? r.memoryMb), cpuMillis: sum.cpuMillis + (r.cpuRequestMillis ?? r.cpuMillis), pids: sum.pids + r.pidsLimit }),
        { memoryMb: 0, cpuMillis: 0, pids: 0 },
      );
      const fits =
        total.memoryMb + ask.memoryMb <= allocatable(room.memoryMb, overcommit.memoryMb) &&
        total.cpuMillis + ask.cpuMillis <= allocatable(room.cpuMillis, overcommit.cpuMillis) &&
        total.pids + ask.pids <= allocatable(room.pidsLimit, overcommit.pidsLimit);
      if (!fits) {
        this.logger.warn(`waking on host ${hostId}: no room left for ${ask.memoryMb} MB / ${ask.cpuMillis} millicores; placing them afresh`);
        return;
      }
      total.memoryMb += ask.memoryMb;
      total.cpuMillis += ask.cpuMillis;
      total.pids += ask.pids;
      booked.add(n);
    });
    // Same rule as every placement: adding booked capacity to a host bumps its version, so a
    // concurrent plan made against the old version fails its claim instead of overbooking.
    if (booked.size && (await tx.$executeRawUnsafe(CLAIM_HOST, hostId, Number(room.version))) !== 1) booked.clear();
    return booked;
  }
}
