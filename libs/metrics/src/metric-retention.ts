import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock, Every } from '@berth/common';
import { MetricStore } from './metric-store';

/** Minute metrics are kept this long (the longest period the API answers). */
export const METRICS_RETENTION_MS = 7 * 86_400_000;
const TRIM_EVERY_MS = 10 * 60_000;

/**
 * Keeps minute metrics bounded: every 10 minutes it removes minutes older than 7 days (at
 * most 10,080 request rows per environment, and as many per instance). Rows of a deleted
 * environment age out the same way. Runs in the api role; two api processes trimming at once
 * only repeat each other's deletes.
 */
@Injectable()
export class MetricRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MetricRetention.name);
  private running?: Promise<number>;
  private readonly every: Every;

  constructor(
    private readonly store: MetricStore,
    private readonly clock: Clock,
  ) {
    this.every = new Every(TRIM_EVERY_MS, () => this.trim(), (error) => this.logger.warn(`trimming metrics failed: ${error.message}`), { oneAtATime: true });
  }

  onApplicationBootstrap(): void {
    this.every.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.every.stop();
    await this.running?.catch(() => undefined);
  }

  /** One trim now (one at a time); resolves with the number of rows removed. */
  trim(): Promise<number> {
    if (!this.running) {
      const before = new Date(this.clock.now().getTime() - METRICS_RETENTION_MS);
      this.running = this.store.trim(before).finally(() => (this.running = undefined));
    }
    return this.running;
  }
}
