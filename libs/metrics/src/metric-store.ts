import { Injectable } from '@nestjs/common';
import { PrismaService } from '@berth/db';
import type { InstanceMinute, RequestMinute } from './metrics-series';

export interface EnvironmentRequestMinute extends RequestMinute {
  environmentId: string;
}

export interface EnvironmentInstanceMinute extends InstanceMinute {
  environmentId: string;
}

/**
 * Minute metrics in PostgreSQL (RequestMetricMinute, InstanceMetricMinute). Writers add to a
 * minute rather than set it: a router flushes the current minute several times, and several
 * routers (or an instance's old and new agent) may write the same minute, so counts add up,
 * latency histograms add bucket by bucket and samples average by weight.
 */
@Injectable()
export class MetricStore {
  constructor(private readonly db: PrismaService) {}

  async addRequests(rows: readonly EnvironmentRequestMinute[]): Promise<void> {
    for (const r of rows) {
      await this.db.$executeRaw`
        INSERT INTO "RequestMetricMinute" ("environmentId", minute, count, status2xx, status3xx, status4xx, status5xx, latency)
        VALUES (${r.environmentId}::uuid, ${r.minute}, ${r.count}, ${r.status2xx}, ${r.status3xx}, ${r.status4xx}, ${r.status5xx}, ${r.latency}::int[])
        ON CONFLICT ("environmentId", minute) DO UPDATE SET
          count = "RequestMetricMinute".count + EXCLUDED.count,
          status2xx = "RequestMetricMinute".status2xx + EXCLUDED.status2xx,
          status3xx = "RequestMetricMinute".status3xx + EXCLUDED.status3xx,
          status4xx = "RequestMetricMinute".status4xx + EXCLUDED.status4xx,
          status5xx = "RequestMetricMinute".status5xx + EXCLUDED.status5xx,
          latency = ARRAY(
            SELECT coalesce(a, 0) + coalesce(b, 0)
            FROM unnest("RequestMetricMinute".latency, EXCLUDED.latency) WITH ORDINALITY AS t(a, b, i) ORDER BY i)`;
    }
  }

  async addInstances(rows: readonly EnvironmentInstanceMinute[]): Promise<void> {
    for (const r of rows) {
      await this.db.$executeRaw`
        INSERT INTO "InstanceMetricMinute" ("environmentId", instance, minute, samples, "cpuPercent", "memoryMb", "memoryLimitMb", restarts, "oomKills")
        VALUES (${r.environmentId}::uuid, ${r.instance}, ${r.minute}, ${r.samples}, ${r.cpuPercent}, ${r.memoryMb}, ${r.memoryLimitMb}, ${r.restarts}, ${r.oomKills})
        ON CONFLICT ("environmentId", instance, minute) DO UPDATE SET
          "cpuPercent" = CASE WHEN "InstanceMetricMinute"."cpuPercent" IS NULL THEN EXCLUDED."cpuPercent"
            WHEN EXCLUDED."cpuPercent" IS NULL THEN "InstanceMetricMinute"."cpuPercent"
            ELSE ("InstanceMetricMinute"."cpuPercent" * "InstanceMetricMinute".samples + EXCLUDED."cpuPercent" * EXCLUDED.samples)
              / GREATEST("InstanceMetricMinute".samples + EXCLUDED.samples, 1) END,
          "memoryMb" = CASE WHEN "InstanceMetricMinute"."memoryMb" IS NULL THEN EXCLUDED."memoryMb"
            WHEN EXCLUDED."memoryMb" IS NULL THEN "InstanceMetricMinute"."memoryMb"
            ELSE ("InstanceMetricMinute"."memoryMb" * "InstanceMetricMinute".samples + EXCLUDED."memoryMb" * EXCLUDED.samples)
              / GREATEST("InstanceMetricMinute".samples + EXCLUDED.samples, 1) END,
          samples = "InstanceMetricMinute".samples + EXCLUDED.samples,
          "memoryLimitMb" = EXCLUDED."memoryLimitMb",
          restarts = "InstanceMetricMinute".restarts + EXCLUDED.restarts,
          "oomKills" = "InstanceMetricMinute"."oomKills" + EXCLUDED."oomKills"`;
    }
  }

  async requests(environmentId: string, from: Date, to: Date): Promise<RequestMinute[]> {
    return this.db.requestMetricMinute.findMany({
      where: { environmentId, minute: { gte: from, lt: to } },
      orderBy: { minute: 'asc' },
      select: { minute: true, count: true, status2xx: true, status3xx: true, status4xx: true, status5xx: true, latency: true },
    });
  }

  async instances(environmentId: string, from: Date, to: Date): Promise<InstanceMinute[]> {
    return this.db.instanceMetricMinute.findMany({
      where: { environmentId, minute: { gte: from, lt: to } },
      orderBy: { minute: 'asc' },
      select: { instance: true, minute: true, samples: true, cpuPercent: true, memoryMb: true, memoryLimitMb: true, restarts: true, oomKills: true },
    });
  }

  /** Removes minutes older than `before`; returns how many rows went. */
  async trim(before: Date): Promise<number> {
    const [a, b] = await this.db.$transaction([
      this.db.requestMetricMinute.deleteMany({ where: { minute: { lt: before } } }),
      this.db.instanceMetricMinute.deleteMany({ where: { minute: { lt: before } } }),
    ]);
    return a.count + b.count;
  }
}
