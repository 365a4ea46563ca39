import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { branchProblem, Urls } from '@berth/apps';
import { BUILD_SUCCEEDED, BuildEnd, BuildLog, BuildRecords, BuildsProducer, BuildSucceededEvent, SourceStore, sourceTooLarge } from '@berth/builds';
import { BerthConfig } from '@berth/config';
import { Build, Environment, PrismaService } from '@berth/db';
import { PreReceive, RefUpdate, ZERO_SHA } from '../hooks/hook-server';
import { GitRepos } from '../repos/git-repos';
import { BranchEnvironments, PushedApp } from './branch-environments';

/** Who pushes what: the app (its repository) and the user behind the token. */
export interface PushContext {
  app: PushedApp;
  userId: string;
  repoPath: string;
}

/** Check the database this often while a build's log is quiet (a missed end, a dead builder). */
const STATUS_CHECK_EVERY_IDLE = 5;
const SAY_STILL_QUEUED_AFTER_MS = 30_000;

type Say = (text: string) => void;

/**
 * Decides a push, from the pre-receive hook: every pushed branch is built (one after the
 * other) while the pusher watches the build's log, then released by whoever listens to
 * BUILD_SUCCEEDED; only then are the refs updated. Any failure rejects the whole push, and an
 * environment this push created is removed again, so a rejected push leaves nothing half-made.
 */
@Injectable()
export class PushService {
  private readonly logger = new Logger('Push');

  constructor(
    private readonly db: PrismaService,
    private readonly environments: BranchEnvironments,
    private readonly repos: GitRepos,
    private readonly sources: SourceStore,
    private readonly producer: BuildsProducer,
    private readonly records: BuildRecords,
    private readonly log: BuildLog,
    private readonly urls: Urls,
    private readonly events: EventEmitter2,
    private readonly config: BerthConfig,
  ) {}

  async preReceive(context: PushContext, push: PreReceive): Promise<number> {
    const { app } = context;
    const say = push.say;
    const branches = push.updates.filter((u) => u.ref.startsWith('refs/heads/'));
    for (const update of branches) {
      const branch = update.ref.slice('refs/heads/'.length);
      const problem = branchProblem(branch);
      if (problem) {
        say(` !     Branch "${branch}" ${problem}. Berth names an environment after each branch; rename the branch and push again.`);
        return 1;
      }
      if (update.newSha === ZERO_SHA && branch === app.productionBranch) {
        say(` !     "${branch}" is the production branch of ${app.name}; it cannot be deleted. (Deleting the app deletes everything: DELETE /api/apps/${app.name}.)`);
        return 1;
      }
    }
    // Before anything is made for the push (an environment, a build, a source tar): its refs stay as they were.
    for (const update of branches.filter((u) => u.newSha !== ZERO_SHA)) {
      const problem = await this.sourceProblem(context, update, push);
      if (problem) {
        say(` !     Push rejected: ${problem}`);
        say(' !     Nothing was stored.');
        return 1;
      }
    }

    const deployed: { environment: Environment; branch: string; sha: string }[] = [];
    const created: Environment[] = [];
    try {
      for (const update of branches.filter((u) => u.newSha !== ZERO_SHA)) {
        const branch = update.ref.slice('refs/heads/'.length);
        const result = await this.deploy(context, branch, update, push, created);
        if (!result) {
          await this.undo(app, created);
          return 1;
        }
        deployed.push({ environment: result, branch, sha: update.newSha });
      }
      for (const update of branches.filter((u) => u.newSha === ZERO_SHA)) {
        const branch = update.ref.slice('refs/heads/'.length);
        const removed = await this.environments.removeBranch(app, branch);
        say(removed ? `-----> Deleted environment ${removed.name} with branch ${branch}` : `-----> Branch ${branch} had no environment`);
      }
    } catch (error) {
      await this.undo(app, created);
      throw error;
    }
    for (const { environment, branch, sha } of deployed) {
      say(`-----> Deployed ${branch} (${sha.slice(0, 7)}) to ${environment.name}:`);
      say(`       ${this.urls.environmentUrl(app.name, environment.name, environment.kind === 'production')}`);
    }
    return 0;
  }

  /** Why the pushed commit's source is too large to build (BUILD_MAX_SOURCE_MB/FILES), or null. */
  private async sourceProblem(context: PushContext, update: RefUpdate, push: PreReceive): Promise<string | null> {
    const limits = this.config.builds.maxSource;
    const size = await this.repos.treeSize(context.repoPath, update.newSha, push.quarantine, limits.files);
    const subject = `commit ${update.newSha.slice(0, 7)} (${update.ref.slice('refs/heads/'.length)})`;
    if (size.files > limits.files) return sourceTooLarge(limits, 'files', subject);
    if (size.bytes > limits.bytes) return sourceTooLarge(limits, 'bytes', subject);
    return null;
  }

  /** Builds one branch and waits for it and its release; the environment, or null when the push must fail. */
  private async deploy(context: PushContext, branch: string, update: RefUpdate, push: PreReceive, created: Environment[]): Promise<Environment | null> {
    const { app } = context;
    const say = push.say;
    const { environment, created: isNew } = await this.environments.forBranch(app, branch);
    if (isNew) {
      created.push(environment);
      say(`-----> Created preview environment ${environment.name} for branch ${branch} (config copied from production)`);
    }

    const build = await this.startBuild(context, environment, branch, update, push);
    if (!build) return null;
    const end = await this.watch(build.id, say, push.signal);
    if (!end || end.status === 'failed') {
      if (!end) {
        say(' !     The push was interrupted; the build goes on, but nothing is deployed.');
        await this.closeLog(build.id); // nothing will follow the build
      }
      return null;
    }
    try {
      const finished = await this.db.build.findUnique({ where: { id: build.id }, select: { imageId: true } });
      if (!finished?.imageId) {
        say(' !     The build succeeded but its image is not recorded; push again.');
        return null;
      }
      const event: BuildSucceededEvent = { buildId: build.id, imageId: finished.imageId, appId: app.id, environmentId: environment.id };
      return (await this.release(event, end.lastId, say)) ? environment : null;
    } finally {
      // The release's lines are in the build's log: readers of it (the dashboard) stop here.
      await this.closeLog(build.id);
    }
  }

  private async closeLog(buildId: string): Promise<void> {
    await this.log.close(buildId).catch((error) => this.logger.warn(`could not close the log of build ${buildId}: ${(error as Error).message}`));
  }

  /** A build of this commit for this environment: one already under way, or a new one. */
  private async startBuild(context: PushContext, environment: Environment, branch: string, update: RefUpdate, push: PreReceive): Promise<Build | null> {
    const say = push.say;
    const sha = update.newSha;
    const running = await this.db.build.findFirst({
      where: { environmentId: environment.id, commitSha: sha, status: { in: ['queued', 'building'] } },
      orderBy: { createdAt: 'asc' },
    });
    if (running) {
      say(`-----> ${sha.slice(0, 7)} is already being built for ${environment.name} (build ${running.id}); following it`);
      return running;
    }

    const build = await this.db.build.create({
      data: { appId: context.app.id, environmentId: environment.id, commitSha: sha, branch, createdById: context.userId },
    });
    await this.log.append(build.id, `-----> Build ${build.id}: ${branch} (${sha.slice(0, 7)}) of ${context.app.name} for ${environment.name}`);
    try {
      const archive = this.repos.archive(context.repoPath, sha, push.quarantine);
      await Promise.all([this.sources.write(build.id, archive.stream), archive.done]);
    } catch (error) {
      await this.sources.remove(build.id);
      await this.records.fail(build.id, `Berth could not read commit ${sha.slice(0, 7)} from the push: ${(error as Error).message}`);
      await this.watch(build.id, say, push.signal);
      return null;
    }
    try {
      await this.producer.enqueue(build);
    } catch (error) {
      await this.sources.remove(build.id);
      await this.records.fail(build.id, `Berth could not queue the build: ${(error as Error).message}. Push again.`);
      await this.watch(build.id, say, push.signal);
      return null;
    }
    const ahead = await this.db.build.count({
      where: { environmentId: environment.id, status: { in: ['queued', 'building'] }, createdAt: { lt: build.createdAt } },
    });
    if (ahead > 0) await this.log.append(build.id, `       Queued behind ${ahead} earlier build${ahead > 1 ? 's' : ''} of ${environment.name}`);
    return build;
  }

  /**
   * Shows a build's log to the pusher until it ends; the end (with the id of its log entry), or
   * null when the pusher went away. The database is checked now and then, in case the end was
   * written without reaching the live log.
   */
  private async watch(buildId: string, say: Say, signal: AbortSignal): Promise<(BuildEnd & { lastId: string }) | null> {
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
   * Emits BUILD_SUCCEEDED and waits for its listeners (releases), showing what they add to the
   * build's log meanwhile. False, after showing why, when a listener throws.
   */
  private async release(event: BuildSucceededEvent, afterId: string, say: Say): Promise<boolean> {
    const stop = new AbortController();
    let lastId = afterId;
    const shown = (async () => {
      for await (const entry of this.log.follow(event.buildId, { after: afterId, signal: stop.signal, blockMs: 200 })) {
        if ('text' in entry) {
          say(entry.text);
          lastId = entry.id;
        }
      }
    })();
    let failure: unknown = null;
    try {
      await this.events.emitAsync(BUILD_SUCCEEDED, event);
    } catch (error) {
      failure = error;
    }
    stop.abort();
    await shown;
    for (const text of await this.log.readAfter(event.buildId, lastId)) say(text);
    if (failure) {
      const message = failure instanceof Error ? failure.message : String(failure);
      this.logger.warn(`release after build ${event.buildId} failed: ${message}`);
      await this.log.append(event.buildId, ` !     Deploy failed: ${message}`);
      say(` !     Deploy failed: ${message}`);
      return false;
    }
    return true;
  }

  /** Removes the environments this push created, when it is rejected. */
  private async undo(app: PushedApp, created: Environment[]): Promise<void> {
    for (const environment of created) {
      await this.environments.remove(app, environment).catch((error) => this.logger.error(`could not remove environment ${environment.name}: ${(error as Error).message}`));
    }
  }
}
