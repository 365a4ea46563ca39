import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Clock } from '@berth/common';
import { PrismaService } from '@berth/db';
import { PLATFORM_COUNTERS_KEY, PlatformCounters, ROUTER_TOTALS_KEY } from './platform-counters';

const INSTANCE_STATES = ['pending', 'starting', 'running', 'crashed', 'stopped', 'failed'] as const;
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

/**
 * The platform's own health for operators, in Prometheus' format (GET /metrics): build queue
 * and durations, placement rounds, each host's capacity against what is booked and used, the
 * router's request totals, instances by state, and this process's own metrics. Labels stay
 * bounded: hosts, states and status classes, never apps or environments (those are in the
 * per-environment metrics API). Gauges are read from the database at each scrape; counters
 * that other processes add to come from Redis (PlatformCounters).
 */
@Injectable()
export class PlatformMetrics {
  readonly registry = new Registry();
  /** Builds that finished after this are observed into the durations histogram at the next scrape. */
  private buildsSeenUntil: Date;

  constructor(
    private readonly db: PrismaService,
    private readonly counters: PlatformCounters,
    clock: Clock,
  ) {
    this.buildsSeenUntil = clock.now();
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_process_' });
    const db_ = this.db;
    const self = this;

    new Gauge({
      name: 'berth_build_queue_depth',
      help: 'Builds waiting for a builder.',
      registers,
      async collect() {
        this.set(await db_.build.count({ where: { status: 'queued' } }));
      },
    });
    new Gauge({
      name: 'berth_builds_running',
      help: 'Builds running now.',
      registers,
      async collect() {
        this.set(await db_.build.count({ where: { status: 'building' } }));
      },
    });
    new Histogram({
      name: 'berth_build_duration_seconds',
      help: 'How long builds took, from start to finish, by outcome (builds finished since this api process started).',
      labelNames: ['status'],
      buckets: [5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800],
      registers,
      async collect() {
        const builds = await db_.build.findMany({
          where: { finishedAt: { gt: self.buildsSeenUntil }, startedAt: { not: null } },
          select: { status: true, startedAt: true, finishedAt: true },
          orderBy: { finishedAt: 'asc' },
          take: 10_000,
        });
        for (const b of builds) this.observe({ status: b.status }, Math.max(0, (b.finishedAt!.getTime() - b.startedAt!.getTime()) / 1000));
        if (builds.length) self.buildsSeenUntil = builds[builds.length - 1].finishedAt!;
      },
    });

    const placement = (name: string, help: string, field: string) =>
      new Counter({
        name,
        help,
        registers,
        async collect() {
          const counts = await self.counters.read(PLATFORM_COUNTERS_KEY);
          this.reset();
          this.inc(counts[field] ?? 0);
        },
      });
    placement('berth_placement_rounds_total', 'Placement rounds that planned instances (placed, moved or left pending).', 'placement_rounds');
    placement('berth_placement_instances_placed_total', 'Instances placed or moved onto a host.', 'instances_placed');
    placement('berth_placement_instances_unplaced_total', 'Instances a round could not place (left pending).', 'instances_unplaced');

    new Counter({
      name: 'berth_router_requests_total',
      help: 'Requests the routers served for environments, by status class.',
      labelNames: ['class'],
      registers,
      async collect() {
        const counts = await self.counters.read(ROUTER_TOTALS_KEY);
        this.reset();
        for (const cls of STATUS_CLASSES) this.inc({ class: cls }, counts[cls] ?? 0);
      },
    });

    new Gauge({
      name: 'berth_instances',
      help: 'Instances by actual state.',
      labelNames: ['state'],
      registers,
      async collect() {
        const rows = await db_.instance.groupBy({ by: ['actualState'], _count: { _all: true } });
        const counts = new Map(rows.map((r) => [r.actualState, r._count._all]));
        for (const state of INSTANCE_STATES) this.set({ state }, counts.get(state) ?? 0);
      },
    });

    const hostGauges = {
      memory: new Gauge({ name: 'berth_host_memory_mb', help: 'Memory of each host: its capacity, what placement booked on it (requests), what its instances use.', labelNames: ['host', 'kind'], registers }),
      cpu: new Gauge({ name: 'berth_host_cpu_millis', help: 'CPU of each host in millicores: capacity, booked (requests), used.', labelNames: ['host', 'kind'], registers }),
      up: new Gauge({ name: 'berth_host_ready', help: '1 when the host is ready and not cordoned.', labelNames: ['host'], registers }),
    };
    // One query fills the three host gauges, once per scrape.
    new Gauge({
      name: 'berth_hosts',
      help: 'Hosts known to the platform.',
      registers,
      async collect() {
        const hosts = await self.hostUsage();
        for (const g of Object.values(hostGauges)) g.reset();
        for (const h of hosts) {
          hostGauges.memory.set({ host: h.name, kind: 'capacity' }, h.memoryMb);
          hostGauges.memory.set({ host: h.name, kind: 'booked' }, h.bookedMemoryMb);
          hostGauges.memory.set({ host: h.name, kind: 'used' }, Math.round(h.usedMemoryMb * 10) / 10);
          hostGauges.cpu.set({ host: h.name, kind: 'capacity' }, h.cpuMillis);
          hostGauges.cpu.set({ host: h.name, kind: 'booked' }, h.bookedCpuMillis);
          hostGauges.cpu.set({ host: h.name, kind: 'used' }, Math.round(h.usedCpuMillis));
          hostGauges.up.set({ host: h.name }, h.ready ? 1 : 0);
        }
        this.set(hosts.length);
      },
    });
  }

  private async hostUsage() {
    const rows = await this.db.$queryRaw<
      { name: string; memoryMb: number; cpuMillis: number; ready: boolean; bookedMemoryMb: number; bookedCpuMillis: number; usedMemoryMb: number; usedCpuMillis: number }[]
    >`
      SELECT h.name, h."memoryMb", h."cpuMillis", (h.state = 'ready' AND NOT h.cordoned) AS ready,
        coalesce(sum(coalesce(i."memoryRequestMb", i."memoryMb")) FILTER (WHERE i."desiredState" = 'running'), 0)::float8 AS "bookedMemoryMb",
        coalesce(sum(coalesce(i."cpuRequestMillis", i."cpuMillis")) FILTER (WHERE i."desiredState" = 'running'), 0)::float8 AS "bookedCpuMillis",
        coalesce(sum(i."memoryUsageBytes"), 0)::float8 / 1048576 AS "usedMemoryMb",
        coalesce(sum(i."cpuUsagePercent"), 0)::float8 * 10 AS "usedCpuMillis"
      FROM "Host" h LEFT JOIN "Instance" i ON i."hostId" = h.id
      GROUP BY h.id ORDER BY h.name`;
    return rows;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
