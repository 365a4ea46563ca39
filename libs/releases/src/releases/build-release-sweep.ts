import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BuildLog } from '@berth/builds';
import { Clock } from '@berth/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { INTERRUPTED_REASON } from '../release-phase/release-phase';
import { BuildReleaser } from './build-releaser';

/** How often every process that loads releases looks for succeeded builds nobody released. */
export const SWEEP_EVERY_MS = 5_000;
/** Left to the push that waits on a build, which releases it at once; the sweep is for when it died. */
const GRACE_MS = 5_000;
/** Older builds are history: one nobody released for this long is not released behind the user's back. */
const LOOK_BACK_MS = 60 * 60_000;
const BATCH = 20;
/** A release phase not ended this long after its time limit lost the process that ran it (which stops it at the limit). */
const RELEASE_PHASE_GRACE_MS = 60_000;

/**
 * Releases succeeded builds that have no release, so a build's release does not depend on the
 * process that held its push staying alive. Runs in every process that loads ReleasesModule
 * (api and scheduler); BuildReleaser makes sure each build is released once, and never after a
 * newer push of its environment. It also fails releases whose release phase lost the process
 * running it (failReleasePhasesLeftRunning), so such a release never stays "deploying".
 */
@Injectable()
export class BuildReleaseSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BuildReleaseSweep');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  /** Builds a pass declined (a newer push was released first): said once, not every pass. */
  private readonly declined = new Set<string>();

  constructor(
    private readonly db: PrismaService,
    private readonly releaser: BuildReleaser,
    private readonly log: BuildLog,
    private readonly clock: Clock,
    private readonly config: BerthConfig,
    private readonly logs: LogWriter,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((error) => this.logger.warn(`could not release finished builds: ${(error as Error).message}`))
        .finally(() => (this.running = null));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass: releases what it finds, newest build first (so an older one is then skipped); the releases it made. */
  async sweep(graceMs = GRACE_MS): Promise<string[]> {
    const now = this.clock.now().getTime();
    // Succeeded builds with no release of their own, whose image was not released in their
    // environment since (a release made from the image directly, e.g. by a rollback, counts).
    const builds = await this.db.$queryRaw<{ id: string }[]>`
      SELECT b.id::text AS id FROM "Build" b
      WHERE b.status = 'succeeded' AND b."imageId" IS NOT NULL
        AND b."finishedAt" BETWEEN ${new Date(now - LOOK_BACK_MS)} AND ${new Date(now - graceMs)}
        AND NOT (b.id::text = ANY(${[...this.declined]}::text[]))
        AND NOT EXISTS (SELECT 1 FROM "Release" r WHERE r."buildId" = b.id)
        AND NOT EXISTS (SELECT 1 FROM "Release" r WHERE r."environmentId" = b."environmentId" AND r."imageId" = b."imageId" AND r."createdAt" >= b."createdAt")
      ORDER BY b."createdAt" DESC
      LIMIT ${BATCH}`;
    await this.failReleasePhasesLeftRunning();
    const made: string[] = [];
    for (const build of builds) {
      const result = await this.releaser.release(build.id).catch((error: Error) => ({ release: null, reason: error.message }));
      if (result.release && 'made' in result && result.made) {
        made.push(result.release.id);
        this.logger.log(`released build ${build.id} as v${result.release.version}: the push that waited on it had ended`);
        await this.log.append(build.id, `-----> Releasing v${result.release.version}… (Berth released the build after the push that waited on it ended)\n`).catch(() => undefined);
        await this.log.close(build.id).catch(() => undefined);
      } else if (!result.release) {
        if (this.declined.size > 10_000) this.declined.clear();
        this.declined.add(build.id);
        this.logger.warn(`build ${build.id} is not released: ${result.reason}`);
      }
    }
    return made;
  }

  /**
   * Releases whose release phase began but did not end long after RELEASE_PHASE_TIMEOUT_SECONDS:
   * the process running it died (it stops the phase at the limit) and no retry of the rollout
   * got to it. They are failed, not run again (a half-run migration is the developer's to look
   * at); their instances never started, so the previous release keeps serving. The rollout
   * itself fails such a release the same way when its job is retried first.
   */
  async failReleasePhasesLeftRunning(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.config.scheduler.releasePhaseTimeoutMs - RELEASE_PHASE_GRACE_MS);
    const stuck = await this.db.release.findMany({
      where: { status: { in: ['pending', 'deploying'] }, releasePhaseStartedAt: { lt: before }, releasePhaseEndedAt: null },
      select: { id: true, version: true, environmentId: true },
      take: BATCH,
    });
    let failed = 0;
    for (const release of stuck) {
      const changed = await this.db.release.updateMany({
        where: { id: release.id, status: { in: ['pending', 'deploying'] }, releasePhaseEndedAt: null },
        data: { status: 'failed', failureReason: INTERRUPTED_REASON },
      });
      if (!changed.count) continue;
      failed++;
      this.logger.warn(`release ${release.id} failed: its release phase lost the process running it`);
      this.logs.write({ environmentId: release.environmentId, time: this.clock.now(), source: 'berth', release: release.version, text: `release v${release.version} failed: ${INTERRUPTED_REASON}; the previous release keeps serving` });
    }
    return failed;
  }
}
