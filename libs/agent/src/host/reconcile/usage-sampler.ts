import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Prisma, PrismaService } from '@berth/db';
import { InstanceKey, InstanceMetricsWriter } from '@berth/metrics';
import { Cgroups } from '../cgroups';
import { HostRegistration } from '../host-registration';

/** A process to sample: the instance it runs and, when its row is still wanted, its metrics key. */
export interface SampledProcess {
  instanceId: string;
  containerId?: string;
  pid: number;
  key?: InstanceKey;
}

/**
 * Memory and CPU of each running container, from its cgroup, onto its row and into its minute
 * metrics, every AGENT_HEARTBEAT_SECONDS (checked at the end of a round, so that it never races
 * the round's starts and restarts). It also keeps each container's cgroup OOM-kill count, which
 * is gone with the cgroup once the container exits and explains its crash.
 */
@Injectable()
export class UsageSampler {
  private readonly logger = new Logger(UsageSampler.name);
  private lastSample = 0;
  /** CPU time at the last sample, by container and process: a new process starts a new baseline. */
  private readonly cpu = new Map<string, { nanos: number; at: number }>();
  private readonly oomKills = new Map<string, number>();

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly host: HostRegistration,
    private readonly cgroups: Cgroups,
    private readonly metrics: InstanceMetricsWriter,
  ) {}

  /** OOM kills the container's memory cgroup counted when it was last sampled. */
  oomKillsOf(containerId: string): number {
    return this.oomKills.get(containerId) ?? 0;
  }

  /** Forgets containers the engine no longer lists. */
  forgetExcept(containerIds: ReadonlySet<string>): void {
    for (const key of this.cpu.keys()) if (!containerIds.has(key.split(':')[0])) this.cpu.delete(key);
    for (const id of this.oomKills.keys()) if (!containerIds.has(id)) this.oomKills.delete(id);
  }

  async sampleIfDue(now: number, processes: () => SampledProcess[]): Promise<void> {
    if (now - this.lastSample < this.config.agent.heartbeatMs) return;
    this.lastSample = now;
    await this.sample(now, processes());
  }

  private async sample(now: number, processes: SampledProcess[]): Promise<void> {
    const rows: Prisma.Sql[] = [];
    for (const p of processes) {
      const usage = await this.cgroups.usage(p.pid);
      if (!usage) continue;
      const baseline = `${p.containerId}:${p.pid}`;
      const last = this.cpu.get(baseline);
      const percent = last && now > last.at ? ((usage.cpuNanos - last.nanos) / ((now - last.at) * 1e6)) * 100 : null;
      this.cpu.set(baseline, { nanos: usage.cpuNanos, at: now });
      if (p.key) this.metrics.sample(p.key, new Date(now), usage.memoryBytes, percent === null ? null : Math.max(0, percent));
      if (p.containerId) this.oomKills.set(p.containerId, usage.oomKills);
      const cpu = percent === null ? null : Math.max(0, Math.round(percent * 10) / 10);
      rows.push(Prisma.sql`(${p.instanceId}::uuid, ${p.containerId ?? null}::text, ${BigInt(usage.memoryBytes)}::bigint, ${cpu}::float8)`);
    }
    if (rows.length === 0) return;
    // One statement for all of them: a transaction of one update per instance outlasted
    // Prisma's 5 s limit with hundreds awake during a wake storm, and failed the whole round.
    // Only a row still on this host with the same container is written.
    try {
      await this.db.$executeRaw`
        UPDATE "Instance" AS i
        SET "memoryUsageBytes" = v.memory, "cpuUsagePercent" = COALESCE(v.cpu, i."cpuUsagePercent")
        FROM (VALUES ${Prisma.join(rows)}) AS v(id, container, memory, cpu)
        WHERE i.id = v.id AND i."hostId" = ${this.host.current.id}::uuid AND (v.container IS NULL OR i."containerId" = v.container)`;
    } catch (error) {
      // Usage is shown, not acted on: a failed write waits for the next sample, the round goes on.
      this.logger.warn(`could not record the usage of ${rows.length} instances: ${(error as Error).message}`);
    }
  }
}
