import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Every } from '@berth/common';
import { PrismaService } from '@berth/db';
import { AppImages } from '@berth/engine';
import { BuildCaches } from '../image-build/build-cache';
import { BuildCgroups } from '../image-build/build-cgroups';
import { ImageBuilder } from '../image-build/image-builder';
import { BuildQueueSweeper } from './build-queue-sweeper';

const SWEEP_EVERY_MS = 30_000;

/**
 * The builder's own sweep: what only the host that ran a build can clean. Settling builds no
 * builder will finish is BuildQueueSweeper's (it runs in the api too); this runs it first, then
 * stops leftover build steps of finished builds on this host, removes images the engine
 * finished for failed builds, the images of deleted apps (for a host that builds but runs
 * no agent; agents prune too) and the build caches of deleted environments. Runs when a builder starts and every half minute.
 */
@Injectable()
export class BuildSweeper implements OnModuleDestroy {
  private readonly logger = new Logger('BuildSweeper');
  private readonly every = new Every(SWEEP_EVERY_MS, () => this.sweep(), (error) => this.logger.warn(`sweep failed: ${error.message}`));

  constructor(
    private readonly db: PrismaService,
    private readonly queue: BuildQueueSweeper,
    private readonly cgroups: BuildCgroups,
    private readonly images: ImageBuilder,
    private readonly appImages: AppImages,
    private readonly caches: BuildCaches,
  ) {}

  start(): void {
    this.every.start();
  }

  onModuleDestroy(): void {
    this.every.stop();
  }

  /** Returns how many unfinished builds were settled. */
  async sweep(): Promise<number> {
    const settled = await this.queue.sweep();
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
    await this.appImages.pruneDeletedApps(async (ids) => new Set((await this.db.app.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((app) => app.id)));
    // Build caches of deleted environments (an app's deletion deletes its environments).
    await this.caches.pruneDeleted(async (ids) => new Set((await this.db.environment.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((env) => env.id)));
    return settled;
  }

  /** A build of this installation (ids from the engine may belong to another one sharing it). */
  private findBuild(buildId: string) {
    if (!/^[0-9a-f-]{36}$/.test(buildId)) return Promise.resolve(null);
    return this.db.build.findUnique({ where: { id: buildId }, select: { status: true } }).catch(() => null);
  }
}
