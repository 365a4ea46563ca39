import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EnvironmentsService } from '@berth/tenant-apps';
import { BerthConfig } from '@berth/config';

/**
 * Removes preview environments whose time to live ran out, every PREVIEW_SWEEP_SECONDS. Runs
 * in every router; removal is idempotent, so routers sweeping at once remove each preview once.
 */
@Injectable()
export class PreviewSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PreviewSweeper');
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;

  constructor(
    private readonly environments: EnvironmentsService,
    private readonly config: BerthConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.router.sweepSeconds * 1000);
    this.timer.unref();
  }

  /** One sweep; concurrent calls share it. Resolves to the number of previews removed. */
  sweep(): Promise<number> {
    this.sweeping ??= this.environments
      .removeExpiredPreviews()
      .catch((error) => {
        this.logger.error(`sweep failed: ${(error as Error).message}`);
        return 0;
      })
      .finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }
}
