import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { BerthConfig } from '@berth/config';
import { acceptsTcp, Clock, Coalescer } from '@berth/common';
import { PrismaService } from '@berth/db';
import { CHANNELS, Notifier, ROUTABLE_INSTANCE, SCHEDULER_LEASE } from '@berth/contracts';
import { RolloutProducer } from '@berth/releases';
import { PlacementConflict } from '@berth/placement';
import { RedisService } from '@berth/redis';
import { InstanceChanged, InstancePlacer } from './placer/instance-placer';

/**
 * The scheduler's rounds: hosts that stopped heartbeating and whose instances stopped
 * answering are marked down and their instances placed elsewhere, draining hosts are emptied, pending instances are placed,
 * releases whose rollout job went missing are queued again. A round runs every
 * SCHEDULER_INTERVAL_MS and at once when something publishes on the scheduler channel; one
 * scheduler process at a time runs rounds (a Redis lease), so several can run for
 * availability.
 */
@Injectable()
export class SchedulerLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SchedulerLoop.name);
  private readonly me = randomUUID();
  private timer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private subscriber?: Redis;
  /**
   * When this process last resumed from a stall (its event loop blocked, the process not
   * scheduled): heartbeats may have been held up by the same stall (the agent in this process,
   * a database it shares), so until HOST_DOWN_AFTER_SECONDS have passed since, a host counts as
   * heard from at that moment at the latest. 0 when it never stalled.
   */
  private resumedAt = 0;
  /** Silent hosts already reported unreachable (reported once). */
  private readonly unreachable = new Set<string>();
  private readonly rounds = new Coalescer(
    () => this.tick(),
    (error) =>
      // Contention, not a fault: placements committed meanwhile by others; retried next round.
      error instanceof PlacementConflict || error instanceof InstanceChanged
        ? this.logger.warn(`placement round gave up for now: ${error.message}; the next round places what is left`)
        : this.logger.error(`scheduler round failed: ${(error as Error).stack ?? error}`),
  );

  constructor(
    private readonly db: PrismaService,
    private readonly redis: RedisService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly placement: InstancePlacer,
    private readonly notifier: Notifier,
    private readonly rollouts: RolloutProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber = this.redis.subscriber();
    await this.subscriber.subscribe(CHANNELS.scheduler(this.notifier.prefix));
    this.subscriber.on('message', () => this.kick());
    this.timer = setInterval(() => this.kick(), this.config.scheduler.intervalMs);
    this.watchStalls();
    this.kick();
  }

  /**
   * Notes when this process resumes from a stall of more than half HOST_DOWN_AFTER_SECONDS (a
   * shorter one fits in the margin between agents' heartbeats and that limit).
   */
  private watchStalls(): void {
    const everyMs = 250;
    const stallMs = Math.max(everyMs * 2, this.config.scheduler.hostDownAfterMs / 2);
    let last = performance.now();
    this.watchdog = setInterval(() => {
      const now = performance.now();
      if (now - last > stallMs) {
        this.resumedAt = this.clock.now().getTime();
        this.logger.warn(`the scheduler's process stalled for ${((now - last) / 1000).toFixed(1)} s: no host is marked down for its silence until HOST_DOWN_AFTER_SECONDS have passed`);
      }
      last = now;
    }, everyMs);
    this.watchdog.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.watchdog);
    this.subscriber?.disconnect();
    await this.rounds.stop();
    await this.redis.client.eval(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`, 1, this.leaseKey, this.me).catch(() => undefined);
  }

  /** Runs a round now, or right after the one in progress. */
  kick(): void {
    this.rounds.kick();
  }

  private get leaseKey(): string {
    return SCHEDULER_LEASE(this.notifier.prefix);
  }

  private async lead(): Promise<boolean> {
    const ttl = Math.max(5000, this.config.scheduler.intervalMs * 5);
    const taken = await this.redis.client.set(this.leaseKey, this.me, 'PX', ttl, 'NX');
    if (taken) return true;
    const renewed = await this.redis.client.eval(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`, 1, this.leaseKey, this.me, ttl);
    return renewed === 1;
  }

  private async tick(): Promise<void> {
    if (await this.lead()) await this.round();
  }

  /** One round of every task; safe to run beside another scheduler's (placement commits are checked). */
  async round(): Promise<void> {
    await this.markSilentHostsDown();
    const hosts = await this.db.host.findMany({ where: { state: { in: ['down', 'draining'] }, instances: { some: { desiredState: 'running' } } } });
    for (const host of hosts) await this.placement.moveOff(host);
    await this.placement.placePending();
    await this.endHandovers();
    await this.forgetStoppedOnLostHosts();
    await this.requeueStuckRollouts();
  }

  /**
   * Hosts whose agent stopped heartbeating. A missed heartbeat alone proves only that the agent
   * is away (restarting, cut off from the database): the host is unreachable, placement skips
   * it, and its instances keep serving while they answer (the router's HAProxy checks them
   * too). It is marked down, and its instances moved, on evidence they are gone: none of them
   * accepts a connection, or it stays silent for HOST_LOST_AFTER_SECONDS; then those that still
   * answer are handed over (routed where they are until they run healthy elsewhere).
   */
  private async markSilentHostsDown(): Promise<void> {
    const now = this.clock.now().getTime();
    const cutoff = new Date(now - this.config.scheduler.hostDownAfterMs);
    // A host is silent only for as long as this process was there to hear it.
    const heard = (host: { lastHeartbeatAt: Date }) => Math.max(host.lastHeartbeatAt.getTime(), this.resumedAt);
    const silent = (await this.db.host.findMany({ where: { state: { not: 'down' }, lastHeartbeatAt: { lt: cutoff } } })).filter((host) => heard(host) < cutoff.getTime());
    for (const id of this.unreachable) if (!silent.some((h) => h.id === id)) this.unreachable.delete(id);
    for (const host of silent) {
      const lost = heard(host) < now - this.config.scheduler.hostLostAfterMs;
      const answering = await this.answeringInstances(host);
      if (answering.length > 0 && !lost) {
        if (!this.unreachable.has(host.id)) {
          this.unreachable.add(host.id);
          this.logger.warn(
            `host ${host.name} sent no heartbeat since ${host.lastHeartbeatAt.toISOString()}: unreachable, no new instances go there; ${answering.length} of its instances still answer and keep serving (marked down when they stop answering, or after HOST_LOST_AFTER_SECONDS)`,
          );
        }
        continue;
      }
      // Make before break: instances that still answer keep their endpoint as the previous one,
      // in the same transaction as the host goes down, so the router never sees them unrouted
      // before they run elsewhere (RouteTableService routes a previous endpoint until then).
      const changed = await this.db.$transaction(async (tx) => {
        const marked = await tx.host.updateMany({ where: { id: host.id, state: host.state, lastHeartbeatAt: { lt: cutoff } }, data: { state: 'down', version: { increment: 1 } } });
        if (!marked.count) return 0;
        for (const i of answering) {
          await tx.instance.updateMany({
            where: { id: i.id, hostId: host.id, hostPort: i.hostPort, desiredState: 'running' },
            data: { previousHostId: host.id, previousAddress: host.address, previousPort: i.hostPort },
          });
        }
        return marked.count;
      });
      if (!changed) continue;
      this.unreachable.delete(host.id);
      const why = lost ? `and stayed silent for HOST_LOST_AFTER_SECONDS` : 'and none of its instances answers';
      const handover = answering.length ? ` (${answering.length} still answer and keep serving until they run healthy elsewhere)` : '';
      this.logger.warn(`host ${host.name} sent no heartbeat since ${host.lastHeartbeatAt.toISOString()} ${why}: marked down, moving its instances${handover}`);
      const envs = await this.db.instance.findMany({ where: { hostId: host.id }, select: { environmentId: true }, distinct: ['environmentId'] });
      await this.notifier.routesChanged(...envs.map((e) => e.environmentId));
    }
  }

  /** A host's running instances that accept a TCP connection on their published port. */
  private async answeringInstances(host: { id: string; address: string }): Promise<{ id: string; hostPort: number }[]> {
    const instances = await this.db.instance.findMany({ where: { hostId: host.id, desiredState: 'running', hostPort: { not: null } }, select: { id: true, hostPort: true } });
    const answers = await Promise.all(instances.map((i) => acceptsTcp(host.address, i.hostPort!, 1000)));
    return instances.filter((_, n) => answers[n]).map((i) => ({ id: i.id, hostPort: i.hostPort! }));
  }

  /**
   * Ends handovers: an instance routable at its new place (ROUTABLE_INSTANCE), stopped, or of a
   * release no longer active, no longer needs its previous endpoint. The router drops it once
   * the instance is routable anyway; this lets the lost host's agent remove the old container.
   */
  private async endHandovers(): Promise<void> {
    const ended = await this.db.instance.findMany({
      where: { previousPort: { not: null }, OR: [ROUTABLE_INSTANCE, { desiredState: 'stopped' }, { release: { status: { not: 'active' } } }] },
      select: { id: true, environmentId: true, previousHostId: true },
    });
    if (!ended.length) return;
    await this.db.instance.updateMany({ where: { id: { in: ended.map((i) => i.id) } }, data: { previousHostId: null, previousAddress: null, previousPort: null } });
    await this.notifier.routesChanged(...new Set(ended.map((i) => i.environmentId)));
    await this.notifier.placementsChanged(new Set(ended.flatMap((i) => (i.previousHostId ? [i.previousHostId] : []))));
  }

  /** Stopped instances on a down host (or none) have no agent to remove them: forget them. Their agent removes leftovers when it returns. */
  private async forgetStoppedOnLostHosts(): Promise<void> {
    await this.db.instance.deleteMany({ where: { desiredState: 'stopped', OR: [{ hostId: null }, { host: { state: 'down' } }] } });
  }

  private async requeueStuckRollouts(): Promise<void> {
    const before = new Date(this.clock.now().getTime() - 10_000);
    const stuck = await this.db.release.findMany({ where: { status: { in: ['pending', 'deploying'] }, imageId: { not: null }, createdAt: { lt: before } }, select: { id: true } });
    // Job ids are the release's: a rollout whose job exists is not queued twice.
    for (const release of stuck) await this.rollouts.rollOut(release.id);
  }
}
