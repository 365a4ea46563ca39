import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock, Every } from '@berth/common';
import { BuildRecords } from '../builds/build-records.service';
import { SourceStore } from '../source/source-store';
import { BuildsProducer } from './builds.producer';

const SWEEP_EVERY_MS = 30_000;
/** A build this young may still be on its way into the queue. */
const GRACE_MS = 60_000;

/**
 * Settles builds that no builder will finish, so none stays queued or building for ever: a row
 * whose job is gone or failed (its builder died past BullMQ's stalled-job retries, or the job
 * was lost), and a build queued longer than BUILD_QUEUE_TIMEOUT_SECONDS while no builder is
 * connected. It runs in every process that loads the builds module, the api included, so it
 * works when every builder is gone; settling a row is conditional, so several may run.
 */
@Injectable()
export class BuildQueueSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('BuildSweeper');
  private readonly every = new Every(SWEEP_EVERY_MS, () => this.sweep(), (error) => this.logger.warn(`sweep failed: ${error.message}`));

  constructor(
    private readonly records: BuildRecords,
    private readonly producer: BuildsProducer,
    private readonly sources: SourceStore,
    private readonly clock: Clock,
    private readonly config: BerthConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.every.start();
  }

  onModuleDestroy(): void {
    this.every.stop();
  }

  /** Returns how many builds it settled. */
  async sweep(): Promise<number> {
    const now = this.clock.now().getTime();
    const stale = await this.records.unfinished({ createdBefore: new Date(now - GRACE_MS) });
    if (!stale.length) return 0;
    let builders: number | null = null;
    let settled = 0;
    for (const build of stale) {
      const state = await this.producer.jobState(build);
      let reason: string | null = null;
      if (state === null || state === 'failed' || state === 'completed' || state === 'unknown') {
        reason =
          build.status === 'building'
            ? 'The builder running this build stopped, and the build could not be resumed. Push again.'
            : 'No builder took this build (its job is gone). Push again.';
      } else if (build.status === 'queued' && now - build.createdAt.getTime() > this.config.builds.queueTimeoutMs) {
        builders ??= await this.producer.builderCount();
        if (builders === 0) {
          const minutes = Math.round(this.config.builds.queueTimeoutMs / 60_000);
          reason = `No builder is running, and this build waited ${minutes} min in the queue (BUILD_QUEUE_TIMEOUT_SECONDS). Tell the operator to start a builder (BERTH_ROLES=builder), then push again.`;
        }
      }
      if (reason && (await this.records.fail(build.id, reason))) {
        settled++;
        await this.sources.remove(build.id);
        this.logger.warn(`build ${build.id}: ${reason}`);
      }
    }
    return settled;
  }
}
