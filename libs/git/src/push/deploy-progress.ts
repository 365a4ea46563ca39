import { Injectable, Logger } from '@nestjs/common';
import { EnvironmentStatus, EnvironmentStatusService } from '@berth/tenant-apps';
import { BuildEnd, BuildLog } from '@berth/builds';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { BuildReleaser, DeployFollower } from '@berth/releases';

/** Check the database this often while a build's log is quiet (a missed end, a dead builder). */
const STATUS_CHECK_EVERY_IDLE = 5;
const SAY_STILL_QUEUED_AFTER_MS = 30_000;
/** States whose words the push ends with when its release does not serve: the API and the 503 page say the same. */
const TOLD_AS_STATUS = new Set<EnvironmentStatus['state']>(['build_failed', 'release_failed', 'unplaced', 'crashed']);

export type Say = (text: string) => void;

/** How a branch's deploy ended for the pusher: `served` when its release serves at the URL. */
export type DeployEnd = { ok: true; version: number; served: boolean } | { ok: false };

/**
 * A deploy as the pusher sees it: the build's log until the build ends, then its release
 * (BuildReleaser, exactly once even if a sweep got there first) until it serves at its URL or
 * GIT_PUSH_DEPLOY_WAIT_SECONDS is over. Every line also goes to the build's log, where the
 * dashboard reads it. The release does not depend on this: should the process die, a sweep
 * releases the build.
 */
@Injectable()
export class DeployProgress {
  private readonly logger = new Logger('Push');

  constructor(
    private readonly db: PrismaService,
    private readonly log: BuildLog,
    private readonly releaser: BuildReleaser,
    private readonly follower: DeployFollower,
    private readonly config: BerthConfig,
    private readonly statuses: EnvironmentStatusService,
  ) {}

  /**
   * Shows a build's log to the pusher until it ends; the end (with the id of its log entry), or
   * null when the pusher went away. The database is checked now and then, in case the end was
   * written without reaching the live log.
   */
  async watchBuild(buildId: string, say: Say, signal: AbortSignal): Promise<(BuildEnd & { lastId: string }) | null> {
    let idle = 0;
    let lastId = '0';
    const startedAt = Date.now();
    let saidQueued = false;
    for await (const entry of this.log.follow(buildId, { signal })) {
      if ('text' in entry) {
        say(entry.text);
        lastId = entry.id;
      } else if ('end' in entry) {
        return { ...entry.end, lastId: entry.id };
      } else if ('closed' in entry) {
        continue; // another push of this commit was interrupted; the build goes on
      } else if (++idle % STATUS_CHECK_EVERY_IDLE === 0) {
        const row = await this.db.build.findUnique({ where: { id: buildId }, select: { status: true, failureReason: true } });
        if (!row) {
          say(' !     The build is gone (its environment was deleted meanwhile).');
          return { status: 'failed', failureReason: 'the build is gone', lastId };
        }
        if (row.status === 'succeeded' || row.status === 'failed') {
          // Give the live log a moment to catch up before trusting the row alone.
          if (idle >= 3 * STATUS_CHECK_EVERY_IDLE) return { status: row.status, failureReason: row.failureReason, lastId };
        } else if (row.status === 'queued' && !saidQueued && Date.now() - startedAt > SAY_STILL_QUEUED_AFTER_MS) {
          saidQueued = true;
          say('       Still queued: waiting for a free builder (BUILD_CONCURRENCY) or for a builder process to start.');
        }
      }
    }
    return null;
  }

  /**
   * Releases a succeeded build and follows the release until it serves (or the wait is over),
   * showing the lines it adds to the build's log meanwhile. Not ok, after saying why, when the
   * build has no release, the release failed or it does not serve yet.
   */
  async release(buildId: string, afterId: string, say: Say, signal: AbortSignal): Promise<DeployEnd> {
    const stop = new AbortController();
    let lastId = afterId;
    const shown = (async () => {
      for await (const entry of this.log.follow(buildId, { after: afterId, signal: stop.signal, blockMs: 200 })) {
        if ('text' in entry) {
          say(entry.text);
          lastId = entry.id;
        }
      }
    })();
    let end: DeployEnd = { ok: false };
    try {
      end = await this.releaseAndFollow(buildId, signal);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`release after build ${buildId} failed: ${message}`);
      await this.log.append(buildId, ` !     Deploy failed: ${message}\n`).catch(() => undefined);
    }
    stop.abort();
    await shown;
    for (const text of await this.log.readAfter(buildId, lastId)) say(text);
    // The release's lines are in the build's log: readers of it (the dashboard) stop here.
    await this.log.close(buildId).catch((error) => this.logger.warn(`could not close the log of build ${buildId}: ${(error as Error).message}`));
    return end;
  }

  private async releaseAndFollow(buildId: string, signal: AbortSignal): Promise<DeployEnd> {
    const result = await this.releaser.release(buildId);
    if (!result.release) {
      await this.log.append(buildId, ` !     Not released: ${result.reason}.\n`);
      return { ok: false };
    }
    const { version, id } = result.release;
    // Same layout as the build's own lines: a step after "-----> ", its details indented.
    await this.log.append(buildId, `-----> Releasing v${version}…\n`);
    const waitMs = this.config.git.pushDeployWaitMs;
    if (waitMs === 0) {
      await this.log.append(buildId, `       Not waiting for v${version} to serve (GIT_PUSH_DEPLOY_WAIT_SECONDS=0); it rolls out on its own.\n`);
      return { ok: true, version, served: false };
    }
    const { outcome, message } = await this.follower.follow(id, (line) => this.log.append(buildId, `       ${line}\n`), { waitMs, signal });
    if (outcome !== 'active') {
      const build = await this.db.build.findUnique({ where: { id: buildId }, select: { environmentId: true, createdById: true } });
      const told = build && (await this.lastWords(build.environmentId, build.createdById));
      await this.log.append(buildId, told ? ` !     ${told.message}\n       ${told.hint}\n` : ` !     ${message}\n`);
      return { ok: false };
    }
    await this.log.append(buildId, `       ${message}\n`);
    return { ok: true, version, served: true };
  }

  /**
   * What the environment's status says about this push when it failed or waits (for the
   * pusher: an operator gets the numbers): the latest push's failure while an older release
   * serves, or the status itself. Null when the status has nothing more precise to say.
   */
  async lastWords(environmentId: string, pusherId: string | null): Promise<{ message: string; hint: string } | null> {
    const pusher = pusherId ? await this.db.user.findUnique({ where: { id: pusherId }, select: { email: true } }) : null;
    const status = await this.statuses.status(environmentId, this.statuses.audienceOf(pusher?.email));
    if (!status) return null;
    if (status.latestPush) return status.latestPush;
    return TOLD_AS_STATUS.has(status.state) ? status : null;
  }
}
