import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { forbidden, notFound } from '@berth/common';
import { PrismaService } from '@berth/db';
import { allocatable } from '@berth/placement';
import { Notifier } from '@berth/contracts';

/**
 * Hosts as operators see them. Hosts are shared by every team, so only operators
 * (BERTH_OPERATOR_EMAILS) may list or change them; nobody else learns they exist.
 */
@Injectable()
export class HostsService {
  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly notifier: Notifier,
  ) {}

  assertOperator(email: string): void {
    if (!this.config.scheduler.operatorEmails.includes(email.toLowerCase())) {
      throw forbidden('operators_only', 'Hosts are shared by every team and managed by the operators of this Berth installation (BERTH_OPERATOR_EMAILS). Ask one of them.');
    }
  }

  async list(email: string) {
    this.assertOperator(email);
    const hosts = await this.db.host.findMany({ orderBy: { name: 'asc' } });
    // Booked is what placement counts: requests, or the limits of rows from before requests.
    const booked = await this.db.$queryRaw<{ hostId: string; memoryMb: bigint; cpuMillis: bigint; pidsLimit: bigint; memoryUsageBytes: bigint | null; count: bigint }[]>`
      SELECT "hostId"::text AS "hostId", SUM(COALESCE("memoryRequestMb", "memoryMb")) AS "memoryMb", SUM(COALESCE("cpuRequestMillis", "cpuMillis")) AS "cpuMillis",
        SUM("pidsLimit") AS "pidsLimit", SUM("memoryUsageBytes") AS "memoryUsageBytes", COUNT(*) AS count
      FROM "Instance" WHERE "desiredState" = 'running' AND "hostId" IS NOT NULL GROUP BY "hostId"`;
    const byHost = new Map(booked.map((b) => [b.hostId, b]));
    const silentSince = Date.now() - this.config.scheduler.hostDownAfterMs;
    const { overcommit } = this.config.placement;
    return hosts.map((host) => {
      const b = byHost.get(host.id);
      return {
        id: host.id,
        name: host.name,
        address: host.address,
        // A host that missed its heartbeats but whose instances still answer is not down yet (see SchedulerLoop).
        state: host.state !== 'down' && host.lastHeartbeatAt.getTime() < silentSince ? 'unreachable' : host.state,
        cordoned: host.cordoned,
        capacity: { memoryMb: host.memoryMb, cpu: host.cpuMillis / 1000, pidsLimit: host.pidsLimit },
        // What placement books up to: capacity × PLACEMENT_OVERCOMMIT_* (pids 16 times over by default).
        allocatable: { memoryMb: allocatable(host.memoryMb, overcommit.memoryMb), cpu: allocatable(host.cpuMillis, overcommit.cpuMillis) / 1000, pidsLimit: allocatable(host.pidsLimit, overcommit.pidsLimit) },
        booked: { memoryMb: Number(b?.memoryMb ?? 0), cpu: Number(b?.cpuMillis ?? 0) / 1000, pidsLimit: Number(b?.pidsLimit ?? 0) },
        memoryUsageBytes: Number(b?.memoryUsageBytes ?? 0),
        instances: Number(b?.count ?? 0),
        lastHeartbeatAt: host.lastHeartbeatAt,
      };
    });
  }

  private async host(name: string) {
    const host = await this.db.host.findUnique({ where: { name } });
    if (!host) throw notFound('host_not_found', `There is no host named "${name}". List hosts with GET /api/hosts.`);
    return host;
  }

  /** No new instances go to a cordoned host; those on it keep running. */
  async cordon(email: string, name: string, cordoned: boolean) {
    this.assertOperator(email);
    const host = await this.host(name);
    const endsDrain = !cordoned && host.state === 'draining';
    await this.db.$transaction([
      this.db.host.update({
        where: { id: host.id },
        // Uncordoning a draining host makes it ready again.
        data: { cordoned, version: { increment: 1 }, ...(endsDrain ? { state: 'ready' } : {}) },
      }),
      // Instances the drain could not move stay where they are: their "is draining" reason is over.
      ...(endsDrain ? [this.db.instance.updateMany({ where: { hostId: host.id, reason: { startsWith: `host ${host.name} is draining` } }, data: { reason: null } })] : []),
    ]);
    await this.notifier.wakeScheduler();
    return (await this.list(email)).find((h) => h.id === host.id);
  }

  /** Cordons the host and moves its instances to other hosts. */
  async drain(email: string, name: string) {
    this.assertOperator(email);
    const host = await this.host(name);
    await this.db.host.update({ where: { id: host.id }, data: { cordoned: true, state: host.state === 'down' ? 'down' : 'draining', version: { increment: 1 } } });
    await this.notifier.wakeScheduler();
    return (await this.list(email)).find((h) => h.id === host.id);
  }
}
