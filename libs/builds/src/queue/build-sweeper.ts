import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Clock } from '@berth/common';
import { PrismaService } from '@berth/db';
import { BuildRecords } from '../builds/build-records.service';
import { BuildCgroups } from '../engine/build-cgroups';
import { ImageBuilder } from '../engine/image-builder';
import { SourceStore } from '../source/source-store';
import { BuildsProducer } from './builds.producer';

const SWEEP_EVERY_MS = 30_000;
/** A build this young may still be on its way into the queue. */
const GRACE_MS = 60_000;

/**
 * Settles builds that no builder will finish, so none stays "building" for ever: a queued or
 * building row whose job is gone or failed (its builder died past BullMQ's stalled-job
 * retries, or the job was lost) is marked failed with the reason. Runs when a builder starts
 * and every half minute. It also stops leftover build steps of finished builds on this host.
 */
@Injectable()
export class BuildSweeper implements OnModuleDestroy {
  private readonly logger = new Logger('BuildSweeper');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: PrismaService,
    private readonly records: BuildRecords,
    private readonly producer: BuildsProducer,
    private readonly cgroups: BuildCgroups,
    private readonly images: ImageBuilder,
    private readonly sources: SourceStore,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweep().catch((error) => this.logger.warn(`sweep failed: ${(error as Error).message}`)), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sweep(): Promise<number> {
    let settled = 0;
    const stale = await this.records.unfinished({ createdBefore: new Date(this.clock.now().getTime() - GRACE_MS) });
    for (const build of stale) {
      const state = await this.producer.jobState(build);
      if (state !== null && state !== 'failed' && state !== 'completed' && state !== 'unknown') continue;
      const reason =
        build.status === 'building'
          ? 'The builder running this build stopped, and the build could not be resumed. Push again.'
          : 'No builder took this build (its job is gone). Push again.';
      if (await this.records.fail(build.id, reason)) {
        settled++;
        await this.sources.remove(build.id);
        this.logger.warn(`build ${build.id}: ${reason}`);
      }
    }
    // Steps still running for builds that are over (a builder died mid-step): stop them.
    for (const buildId of await this.cgroups.present()) {
      const row = await this.findBuild(buildId);
      if (row && (row.status === 'failed' || row.status === 'succeeded')) await this.cgroups.kill(buildId);
    }
    // Images the engine finished for builds that failed (stopped or abandoned): a failed build leaves none.
    for (const buildId of await this.images.builtBuildIds()) {
      const row = await this.findBuild(buildId);
      if (row?.status === 'failed') await this.images.removeImagesOf(buildId);
    }
    return settled;
  }

  /** A build of this installation (ids from the engine may belong to another one sharing it). */
  private findBuild(buildId: string) {
    if (!/^[0-9a-f-]{36}$/.test(buildId)) return Promise.resolve(null);
    return this.db.build.findUnique({ where: { id: buildId }, select: { status: true } }).catch(() => null);
  }
}
