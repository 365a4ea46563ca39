import { Injectable, Logger } from '@nestjs/common';
import { PlatformCounters } from '@berth/metrics';
import { BerthConfig } from '@berth/config';
import { Prisma, PrismaService } from '@berth/db';
import { ClusterSnapshot, drain, loadClusterInput, PlacementPlan, placeBatch, placeWithRetry, Resources, spreadGroup } from '@berth/placement';
import { Notifier, placedOn, unplaced } from '@berth/contracts';

type InstanceRow = Prisma.InstanceGetPayload<{ include: { host: { select: { name: true } } } }>;

export interface PlacementOutcome {
  placements: { instanceId: string; hostId: string }[];
  pending: { instanceId: string; reason: string }[];
}

const ATTEMPTS = 8;

/** An instance's ceilings (cgroup limits): a host must be large enough for them, whatever it books. */
const limitsOf = (row: InstanceRow): Resources => ({ memoryMb: row.memoryMb, cpuMillis: row.cpuMillis, pidsLimit: row.pidsLimit });

/** An instance was placed, moved or stopped by someone else since it was read: plan again. */
export class InstanceChanged extends Error {
  override readonly name = 'InstanceChanged';
  constructor() {
    super('instances were placed, moved or stopped by another placement (a rollout or another scheduler) while this one planned');
  }
}

/**
 * Places instances on hosts with the pure planner of @berth/placement: reads a snapshot (hosts,
 * then the instances that book them), plans, and commits in one transaction that first claims
 * each host the plan adds to (its version must still be the one planned against). A concurrent
 * commit on the same host waits for the row lock, finds the version moved and plans again, so
 * no two placements book the same free capacity.
 */
@Injectable()
export class InstancePlacer {
  private readonly logger = new Logger(InstancePlacer.name);

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly notifier: Notifier,
    private readonly counters: PlatformCounters,
  ) {}

  /** Counts a round that planned something, for operators' Prometheus metrics (berth_placement_*); never fails it. */
  private counted(outcome: PlacementOutcome): PlacementOutcome {
    if (outcome.placements.length || outcome.pending.length) {
      void this.counters.add({ placement_rounds: 1, instances_placed: outcome.placements.length, instances_unplaced: outcome.pending.length });
    }
    return outcome;
  }

  /** Places every instance that wants to run and has no host (optionally only one release's). */
  async placePending(where: { releaseId?: string } = {}): Promise<PlacementOutcome> {
    return this.counted(await this.commit(
      () => this.db.instance.findMany({ where: { ...where, hostId: null, desiredState: 'running' }, include: { host: { select: { name: true } } } }),
      (snapshot, rows) => this.plan(snapshot, rows),
      'no host',
    ));
  }

  /**
   * Moves the running instances of a host elsewhere (it is down, or being drained). On a down
   * host, instances that fit nowhere lose their host and wait as pending; on a draining host
   * they stay until room appears.
   */
  async moveOff(host: { id: string; name: string; state: string }): Promise<PlacementOutcome> {
    return this.counted(await this.commit(
      () => this.db.instance.findMany({ where: { hostId: host.id, desiredState: 'running' }, include: { host: { select: { name: true } } } }),
      (snapshot, rows) => {
        const plan = drain(snapshot, host.id, { limits: new Map(rows.map((row) => [row.id, limitsOf(row)])) });
        // The snapshot was read after the rows: it must drain exactly them, or plan again from fresh rows.
        const planned = [...plan.placements, ...plan.pending].map((p) => p.instanceId);
        if (planned.length !== rows.length || planned.some((id) => !rows.some((row) => row.id === id))) throw new InstanceChanged();
        return plan;
      },
      host.state === 'down' ? `host ${host.name} stopped answering` : `host ${host.name} is draining`,
      host.state === 'down',
    ));
  }

  /** The cluster as placement sees it. */
  private async snapshot(rows: InstanceRow[]): Promise<ClusterSnapshot> {
    // Hosts whose agent missed its heartbeats take no new instances (see SchedulerLoop.markSilentHostsDown).
    const cluster = await loadClusterInput(this.db, { unreachableBefore: new Date(Date.now() - this.config.scheduler.hostDownAfterMs) });
    // The rows were read before the cluster: another scheduler (or a rollout) may have placed or
    // moved one of them since. Plan again from fresh rows rather than place it twice.
    const hostNow = new Map(cluster.instances.map((i) => [i.id, i.hostId]));
    if (rows.some((row) => hostNow.has(row.id) && hostNow.get(row.id) !== row.hostId)) throw new InstanceChanged();
    return ClusterSnapshot.build(cluster, this.config.placement);
  }

  /** New instances, placed in one plan. (Moves go through drain: the instances being moved keep booking their host until the plan moves them.) */
  private plan(snapshot: ClusterSnapshot, rows: InstanceRow[]): PlacementPlan {
    return placeBatch(
      snapshot,
      rows.map((row) => ({
        group: spreadGroup(row.releaseId, row.processType),
        // Books the requests; the limits only have to fit the host.
        resources: { memoryMb: row.memoryRequestMb ?? row.memoryMb, cpuMillis: row.cpuRequestMillis ?? row.cpuMillis, pidsLimit: row.pidsLimit },
        limits: limitsOf(row),
        count: 1,
        instanceIds: [row.id],
      })),
    );
  }

  private async commit(load: () => Promise<InstanceRow[]>, planFor: (snapshot: ClusterSnapshot, rows: InstanceRow[]) => PlacementPlan, why: string, unplaceWhenStuck = false): Promise<PlacementOutcome> {
    let rows = await load();
    if (!rows.length) return { placements: [], pending: [] };
    let reread = false;
    let byId = new Map<string, InstanceRow>();
    const { plan, attempts } = await placeWithRetry(this.db, {
      attempts: ATTEMPTS,
      retryable: (error) => error instanceof InstanceChanged,
      // Fresh rows on every later attempt: another scheduler (or a rollout) may have moved them.
      load: async () => {
        if (reread) rows = await load();
        reread = true;
        byId = new Map(rows.map((row) => [row.id, row]));
        return this.snapshot(rows);
      },
      plan: (snapshot) => planFor(snapshot, rows),
      write: async (tx, plan) => {
        for (const p of plan.placements) {
          const row = byId.get(p.instanceId)!;
          const moved = row.hostId !== null;
          const changed = await tx.instance.updateMany({
            where: { id: row.id, hostId: row.hostId, desiredState: 'running' },
            data: placedOn(p.hostId, moved ? { reason: `moved: ${why}` } : null),
          });
          if (changed.count !== 1) throw new InstanceChanged();
        }
        for (const p of plan.pending) {
          const row = byId.get(p.instanceId)!;
          const reason = row.hostId && !unplaceWhenStuck ? `${why}, and it fits on no other host: ${p.reason}` : `cannot be placed: ${p.reason}`;
          await tx.instance.updateMany({
            where: { id: row.id, hostId: row.hostId },
            data: unplaceWhenStuck && row.hostId ? unplaced(reason) : { reason },
          });
        }
      },
    });
    const touched = new Set<string>(plan.placements.map((p) => p.hostId));
    for (const row of rows) if (row.hostId) touched.add(row.hostId);
    await this.notifier.placementsChanged(touched);
    const movedEnvs = rows.filter((row) => row.hostId).map((row) => row.environmentId);
    if (movedEnvs.length) await this.notifier.routesChanged(...movedEnvs);
    if (plan.placements.length) this.logger.debug(`placed ${plan.placements.length} instance(s) after ${attempts} attempt(s)`);
    return {
      placements: plan.placements.map(({ instanceId, hostId }) => ({ instanceId, hostId })),
      pending: plan.pending.map(({ instanceId, reason }) => ({ instanceId, reason })),
    };
  }
}
