import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { RedisService } from '@berth/redis';
import { InstanceKey, InstanceMinutes } from './instance-minutes';
import { MetricStore } from './metric-store';
import { ROUTER_TOTALS_KEY } from './prometheus/platform-counters';
import { RequestMinutes, statusClass } from './request-minutes';

const REQUEST_FLUSH_MS = 5000;
const INSTANCE_FLUSH_MS = 15_000;
/** Minutes held while the database cannot take them; past this the oldest are dropped. */
const MAX_HELD = 20_000;


/** Flushes on a timer, one flush at a time; rows the database refused are kept for the next. */
abstract class Flusher<Row> implements OnModuleDestroy {
  protected readonly logger = new Logger(this.constructor.name);
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private held: Row[] = [];

  constructor(private readonly everyMs: number) {}

  protected schedule(): void {
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.everyMs).unref();
  }

  protected abstract take(): Row[];
  protected abstract store(rows: Row[]): Promise<void>;

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.chain = this.chain.then(async () => {
      const rows = [...this.held, ...this.take()];
      this.held = [];
      if (!rows.length) return;
      try {
        await this.store(rows);
      } catch (error) {
        this.held = rows.slice(-MAX_HELD);
        this.logger.warn(`could not store ${rows.length} metric minutes, trying again: ${(error as Error).message}`);
        this.schedule();
      }
    });
    return this.chain;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The router's request metrics: per environment and minute into PostgreSQL, totals by status class into Redis. */
@Injectable()
export class RequestMetricsWriter extends Flusher<ReturnType<RequestMinutes['take']>[number]> {
  private readonly minutes = new RequestMinutes();
  private totals = new Map<string, number>();

  constructor(
    private readonly metricStore: MetricStore,
    private readonly redis: RedisService,
  ) {
    super(REQUEST_FLUSH_MS);
  }

  record(environmentId: string, time: Date, status: number, ms: number): void {
    this.minutes.add(environmentId, time, status, ms);
    const cls = statusClass(status) ?? 'other';
    this.totals.set(cls, (this.totals.get(cls) ?? 0) + 1);
    this.schedule();
  }

  protected take() {
    return this.minutes.take();
  }

  protected async store(rows: ReturnType<RequestMinutes['take']>): Promise<void> {
    const totals = this.totals;
    this.totals = new Map();
    if (totals.size) {
      const multi = this.redis.client.multi();
      for (const [cls, n] of totals) multi.hincrby(this.redis.key(ROUTER_TOTALS_KEY), cls, n);
      // Not awaited: the minutes in PostgreSQL never wait for Redis (ioredis holds commands
      // while Redis is away), so an outage costs the totals, not the environments' metrics.
      void multi.exec().catch((error) => this.logger.warn(`could not count router totals: ${(error as Error).message}`));
    }
    await this.metricStore.addRequests(rows);
  }
}

/** The agent's instance metrics: samples, restarts and OOM kills per instance and minute into PostgreSQL. */
@Injectable()
export class InstanceMetricsWriter extends Flusher<ReturnType<InstanceMinutes['take']>[number]> {
  private readonly minutes = new InstanceMinutes();

  constructor(private readonly metricStore: MetricStore) {
    super(INSTANCE_FLUSH_MS);
  }

  sample(key: InstanceKey, time: Date, memoryBytes: number, cpuPercent: number | null): void {
    this.minutes.sample(key, time, memoryBytes, cpuPercent);
    this.schedule();
  }

  restarted(key: InstanceKey, time: Date, oomKilled: boolean): void {
    this.minutes.restarted(key, time, oomKilled);
    this.schedule();
  }

  protected take() {
    return this.minutes.take();
  }

  protected store(rows: ReturnType<InstanceMinutes['take']>): Promise<void> {
    return this.metricStore.addInstances(rows);
  }
}
