import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock, Every } from '@berth/common';
import { LogStore } from './log-store';

/**
 * Keeps log history bounded: every LOGS_TRIM_INTERVAL_SECONDS it removes lines older than
 * LOGS_RETENTION_DAYS, all but the newest LOGS_MAX_LINES_PER_ENV of each environment, and the
 * lines of deleted environments. Runs in the api role; two api processes trimming at once
 * only repeat each other's deletes.
 */
@Injectable()
export class LogRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LogRetention.name);
  private running?: Promise<number>;
  private readonly every: Every;

  constructor(
    private readonly store: LogStore,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
  ) {
    this.every = new Every(this.config.logs.trimIntervalMs, () => this.trim(), (error) => this.logger.warn(`trimming logs failed: ${error.message}`), { oneAtATime: true });
  }

  onApplicationBootstrap(): void {
    this.every.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.every.stop();
    await this.running?.catch(() => undefined);
  }

  /** One trim now (one at a time); resolves with the number of lines removed. */
  trim(): Promise<number> {
    if (!this.running) {
      const before = new Date(this.clock.now().getTime() - this.config.logs.retentionMs);
      this.running = this.store.trim(before, this.config.logs.maxLinesPerEnvironment).finally(() => (this.running = undefined));
    }
    return this.running;
  }
}
