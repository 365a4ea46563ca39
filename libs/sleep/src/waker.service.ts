import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { BerthConfig } from '@berth/config';
import { Clock, Lane } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { allocatable } from '@berth/placement';
import { CHANNELS, Notifier, Route, routableInstances, wokenElsewhere, wokenInPlace } from '@berth/contracts';
import { RedisService } from '@berth/redis';

/** Why a sleeping environment could not be woken, in words for the 503 page. */
export class WakeFailed extends Error {
  override readonly name = 'WakeFailed';
}

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
  /**
   * Waking transactions at once in this process: a quarter of its database connections. Wakes
   * on one host take turns on the host's row lock anyway, and each one waiting there held a
   * connection: fifty at once took all ten, and every other query of the process (the agent's
   * heartbeat and snapshot, the instances marked healthy, the routes the wakes wait for) waited
   * for one. The host was marked unreachable for a missed heartbeat during such a wake storm.
   */
  private readonly claims: Lane;

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
    private readonly logs: LogWriter,
    private readonly redis: RedisService,
  ) {
    this.claims = new Lane(Math.max(1, Math.floor(config.database.poolSize / 4)));
  }

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
    for (;;) {
      // Listening before looking: an instance marked healthy meanwhile is not missed.
      const next = this.routesChange(environmentId, POLL_MS);
      const routes = await routableInstances(this.db, environmentId);
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

  /** Flips the environment awake in one transaction; returns false when it was not asleep (someone else woke it). */
  private async startInstances(environmentId: string): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.claims.run(() => this.db.$transaction(async (tx) => {
      const flipped = await tx.environment.updateMany({ where: { id: environmentId, sleepingSince: { not: null } }, data: { sleepingSince: null, sleepCause: null, lastRequestAt: now } });
      if (!flipped.count) return null;
      const current = await tx.release.findFirst({ where: { environmentId, status: 'active' }, orderBy: { version: 'desc' }, select: { id: true, version: true } });
      if (!current) return { version: null, hosts: [] as string[], woken: [] as string[], moved: 0 };
      const kept = await tx.instance.findMany({ where: { releaseId: current.id, desiredState: 'stopped' }, orderBy: { hostId: 'asc' } });
      if (!kept.length) throw new WakeFailed('It was asleep and its instances are gone (their host was lost); push again or roll back to start it.');
      const byHost = new Map<string | null, typeof kept>();
      for (const row of kept) byHost.set(row.hostId, [...(byHost.get(row.hostId) ?? []), row]);
      const hosts: string[] = [];
      const woken: string[] = [];
      let moved = 0;
      // Host ids in order: every claim locks hosts in the same order (see @berth/placement claimHosts).
      for (const [hostId, rows] of byHost) {
        if (hostId && (await this.claimRoom(tx, hostId, rows))) {
          // Not healthy until the agent has probed it since the wake: it may still be stopping the container for the sleep.
          await tx.instance.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: wokenInPlace() });
          hosts.push(hostId);
          woken.push(...rows.map((r) => r.id));
        } else {
          // No room where its containers sleep: the scheduler places them afresh; the agent there removes the old ones.
          await tx.instance.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: wokenElsewhere() });
          moved += rows.length;
          if (hostId) hosts.push(hostId);
        }
      }
      return { version: current.version, hosts, woken, moved };
    }));
    if (!result) return false;
    // Their agents thaw or start the kept containers at once, not at their next round.
    await this.notifier.placementsChanged(result.hosts, result.woken);
    if (result.moved) await this.notifier.wakeScheduler();
    this.logs.write({ environmentId, time: now, source: 'berth', release: result.version, text: 'woke on a request' });
    this.logger.log(`woke environment ${environmentId}${result.moved ? ` (${result.moved} instance(s) placed afresh: no room on their host)` : ''}`);
    return true;
  }

  /** Books the instances on their host if it still takes placements and has room for them: no placement round needed. */
  private async claimRoom(tx: Prisma.TransactionClient, hostId: string, rows: { memoryMb: number; memoryRequestMb: number | null; cpuMillis: number; cpuRequestMillis: number | null; pidsLimit: number }[]): Promise<boolean> {
    await tx.$queryRawUnsafe(LOCK_HOST, hostId);
    // Read after the lock: what the wakes before this one booked is committed and counted.
    const [room] = await tx.$queryRawUnsafe<HostRoom[]>(HOST_ROOM, hostId);
    // A host whose agent went quiet takes no instances (placement reads it as unreachable).
    if (!room?.ready || new Date(room.lastHeartbeatAt).getTime() < this.clock.now().getTime() - this.config.scheduler.hostDownAfterMs) {
      this.logger.warn(`waking on host ${hostId}: it does not take instances now; placing them afresh`);
      return false;
    }
    const { overcommit } = this.config.placement;
    const ask = rows.reduce(
      (sum, r) => ({ memoryMb: sum.memoryMb + (r.memoryRequestMb ?? r.memoryMb), cpuMillis: sum.cpuMillis + (r.cpuRequestMillis ?? r.cpuMillis), pids: sum.pids + r.pidsLimit }),
      { memoryMb: 0, cpuMillis: 0, pids: 0 },
    );
    const fits =
      room.bookedMemoryMb + ask.memoryMb <= allocatable(room.memoryMb, overcommit.memoryMb) &&
      room.bookedCpuMillis + ask.cpuMillis <= allocatable(room.cpuMillis, overcommit.cpuMillis) &&
      room.bookedPids + ask.pids <= allocatable(room.pidsLimit, overcommit.pidsLimit);
    if (!fits) {
      this.logger.warn(`waking on host ${hostId}: no room left for ${ask.memoryMb} MB / ${ask.cpuMillis} millicores; placing them afresh`);
      return false;
    }
    // Same rule as every placement: adding booked capacity to a host bumps its version, so a
    // concurrent plan made against the old version fails its claim instead of overbooking.
    return (await tx.$executeRawUnsafe(CLAIM_HOST, hostId, Number(room.version))) === 1;
  }
}
