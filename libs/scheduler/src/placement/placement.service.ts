import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Prisma, PrismaService } from '@berth/db';
import { Notifier } from '@berth/releases';
import { ClusterInput, PlacementAsk, PlacementOutcome, Placer, spreadGroup } from './placer';

/** A host changed between snapshot and commit: plan again. */
class PlacementConflict extends Error {}

const CLAIM_HOST = `UPDATE "Host" SET version = version + 1 WHERE id = $1::uuid AND version = $2 AND state = 'ready' AND cordoned = false`;

type InstanceRow = Prisma.InstanceGetPayload<{ include: { host: { select: { name: true } } } }>;

/**
 * Places instances on hosts: reads a snapshot (hosts, then the instances that book them),
 * asks the Placer for a plan, and commits it in one transaction that first bumps each
 * claimed host's version if it is still the one planned against. A concurrent commit on the
 * same host waits for the row lock, finds the version moved and plans again, so no two
 * placements book the same free capacity.
 */
@Injectable()
export class PlacementService {
  private readonly logger = new Logger(PlacementService.name);

  constructor(
    private readonly db: PrismaService,
    private readonly placer: Placer,
    private readonly config: BerthConfig,
    private readonly notifier: Notifier,
  ) {}

  private get overcommit() {
    return this.config.placement.overcommit;
  }

  async snapshot(tx: Prisma.TransactionClient = this.db): Promise<ClusterInput> {
    // Hosts before instances: anything committed in between bumped a host version, so a plan
    // against these versions fails its claim rather than overbooking.
    const hosts = await tx.host.findMany({ orderBy: { name: 'asc' } });
    const instances = await tx.instance.findMany({
      where: { desiredState: 'running', hostId: { not: null } },
      select: { id: true, hostId: true, environmentId: true, processType: true, memoryMb: true, cpuMillis: true, pidsLimit: true },
    });
    return {
      hosts: hosts.map((h) => ({ id: h.id, name: h.name, version: h.version, state: h.state, cordoned: h.cordoned, capacity: { memoryMb: h.memoryMb, cpuMillis: h.cpuMillis, pidsLimit: h.pidsLimit } })),
      instances: instances.map((i) => ({ id: i.id, hostId: i.hostId!, group: spreadGroup(i.environmentId, i.processType), resources: { memoryMb: i.memoryMb, cpuMillis: i.cpuMillis, pidsLimit: i.pidsLimit } })),
    };
  }

  /** Places every instance that wants to run and has no host (optionally only one release's). */
  async placePending(where: { releaseId?: string } = {}): Promise<PlacementOutcome> {
    return this.commit(
      () => this.db.instance.findMany({ where: { ...where, hostId: null, desiredState: 'running' }, include: { host: { select: { name: true } } } }),
      () => [],
      'no host',
    );
  }

  /**
   * Moves the running instances of a host elsewhere (it is down, or being drained). On a down
   * host, instances that fit nowhere lose their host and wait as pending; on a draining host
   * they stay until room appears.
   */
  async moveOff(host: { id: string; name: string; state: string }): Promise<PlacementOutcome> {
    return this.commit(
      () => this.db.instance.findMany({ where: { hostId: host.id, desiredState: 'running' }, include: { host: { select: { name: true } } } }),
      () => [host.id],
      host.state === 'down' ? `host ${host.name} stopped answering` : `host ${host.name} is draining`,
      host.state === 'down',
    );
  }

  private async commit(
    load: () => Promise<InstanceRow[]>,
    exclude: () => string[],
    why: string,
    unplaceWhenStuck = false,
  ): Promise<PlacementOutcome> {
    for (let attempt = 1; ; attempt++) {
      const cluster = await this.snapshot();
      const rows = await load();
      if (!rows.length) return { placements: [], pending: [], claims: [] };
      const asks: PlacementAsk[] = rows.map((row) => ({
        instanceId: row.id,
        group: spreadGroup(row.environmentId, row.processType),
        resources: { memoryMb: row.memoryMb, cpuMillis: row.cpuMillis, pidsLimit: row.pidsLimit },
        excludeHostIds: exclude(),
      }));
      // An instance being moved stops booking its old host: plan it as if it were not there.
      const moving = new Set(rows.filter((row) => row.hostId).map((row) => row.id));
      const plan = this.placer.plan({ hosts: cluster.hosts, instances: cluster.instances.filter((i) => !moving.has(i.id)) }, asks, this.overcommit);
      const byId = new Map(rows.map((row) => [row.id, row]));
      try {
        await this.db.$transaction(async (tx) => {
          for (const claim of plan.claims) {
            if ((await tx.$executeRawUnsafe(CLAIM_HOST, claim.hostId, claim.version)) !== 1) throw new PlacementConflict();
          }
          for (const p of plan.placements) {
            const row = byId.get(p.instanceId)!;
            const moved = row.hostId !== null;
            const changed = await tx.instance.updateMany({
              where: { id: row.id, hostId: row.hostId, desiredState: 'running' },
              data: {
                hostId: p.hostId,
                reason: moved ? `moved: ${why}` : null,
                ...(moved ? { containerId: null, hostPort: null, healthy: false, actualState: 'pending', startedAt: null, memoryUsageBytes: null, cpuUsagePercent: null } : {}),
              },
            });
            // Placed, moved or stopped by someone else since we read it: plan again.
            if (changed.count !== 1) throw new PlacementConflict();
          }
          for (const p of plan.pending) {
            const row = byId.get(p.instanceId)!;
            const reason = row.hostId && !unplaceWhenStuck ? `${why}, and it fits on no other host: ${p.reason}` : `cannot be placed: ${p.reason}`;
            await tx.instance.updateMany({
              where: { id: row.id, hostId: row.hostId },
              data: unplaceWhenStuck && row.hostId ? { hostId: null, reason, containerId: null, hostPort: null, healthy: false, actualState: 'pending', startedAt: null } : { reason },
            });
          }
        });
      } catch (error) {
        if (error instanceof PlacementConflict && attempt < 8) continue;
        throw error;
      }
      const touched = new Set<string>(plan.placements.map((p) => p.hostId));
      for (const row of rows) if (row.hostId) touched.add(row.hostId);
      await this.notifier.placementsChanged(touched);
      const movedEnvs = rows.filter((row) => row.hostId).map((row) => row.environmentId);
      if (movedEnvs.length) await this.notifier.routesChanged(...movedEnvs);
      if (plan.placements.length) this.logger.debug(`placed ${plan.placements.length} instance(s) after ${attempt} attempt(s)`);
      return plan;
    }
  }
}
