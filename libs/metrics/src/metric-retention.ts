import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock } from '@berth/common';
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
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly store: MetricStore,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.trim().catch((error) => this.logger.warn(`trimming metrics failed: ${(error as Error).message}`));
    }, TRIM_EVERY_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
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
