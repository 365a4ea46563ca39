import { Injectable, Logger } from '@nestjs/common';
import { branchProblem, Urls } from '@berth/tenant-apps';
import { BuildLog, BuildRecords, BuildsProducer, SourceStore, sourceTooLarge } from '@berth/builds';
import { BerthConfig } from '@berth/config';
import { Build, Environment, PrismaService } from '@berth/db';
import { PreReceive, RefUpdate, ZERO_SHA } from '../hooks/hook-server';
import { GitRepos } from '../repos/git-repos';
import { BranchEnvironments, PushedApp } from './branch-environments';
import { DeployEnd, DeployProgress } from './deploy-progress';

/** Who pushes what: the app (its repository) and the user behind the token. */
export interface PushContext {
  app: PushedApp;
  userId: string;
  repoPath: string;
}

/**
 * Decides a push, from the pre-receive hook: every pushed branch is built (one after the
 * other) and released, the pusher following both through DeployProgress; the refs are updated
 * only when every branch's release serves at its URL. Any failure rejects the whole push, so
 * the branch points at what serves; an environment this push created is removed again unless a
 * build of it succeeded (that build is released even though the push gave up).
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
    private readonly config: BerthConfig,
    private readonly progress: DeployProgress,
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

    const deployed: { environment: Environment; branch: string; sha: string; end: DeployEnd & { ok: true } }[] = [];
    const created: Environment[] = [];
    try {
      for (const update of branches.filter((u) => u.newSha !== ZERO_SHA)) {
        const branch = update.ref.slice('refs/heads/'.length);
        const result = await this.deploy(context, branch, update, push, created);
        if (!result) {
          say(` !     ${branch} was not moved on Berth: it still points at what the environment served before this push. Pushing the same commit again deploys it again.`);
          await this.undo(app, created);
          return 1;
        }
        deployed.push({ ...result, branch, sha: update.newSha });
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
    for (const { environment, branch, sha, end } of deployed) {
      say(
        end.served
          ? `-----> Deployed ${branch} (${sha.slice(0, 7)}) to ${environment.name}:`
          : `-----> Released ${branch} (${sha.slice(0, 7)}) to ${environment.name} as v${end.version}; the push did not wait for it to serve (GIT_PUSH_DEPLOY_WAIT_SECONDS=0):`,
      );
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

  /** Builds one branch and follows its release; the environment and how it ended, or null when the push must fail. */
  private async deploy(
    context: PushContext,
    branch: string,
    update: RefUpdate,
    push: PreReceive,
    created: Environment[],
  ): Promise<{ environment: Environment; end: DeployEnd & { ok: true } } | null> {
    const { app } = context;
    const say = push.say;
    const { environment, created: isNew } = await this.environments.forBranch(app, branch);
    if (isNew) {
      created.push(environment);
      say(`-----> Created preview environment ${environment.name} for branch ${branch} (config copied from production)`);
    }

    const build = await this.startBuild(context, environment, branch, update, push);
    if (!build) return null;
    const end = await this.progress.watchBuild(build.id, say, push.signal);
    if (!end) {
      // The build is durable: it goes on, and BuildReleaseSweep releases it if it succeeds.
      say(' !     The push was interrupted; the build goes on and is released if it succeeds.');
      this.keep(created, environment);
      return null;
    }
    if (end.status === 'failed') {
      // The words the environment's status (the API, the 503 page) has for it: one text.
      const told = await this.progress.lastWords(environment.id, context.userId);
      if (told) {
        say(` !     ${told.message}`);
        say(`       ${told.hint}`);
      }
      return null;
    }
    const deployed = await this.progress.release(build.id, end.lastId, say, push.signal);
    // Released (serving or not): the environment stays, whatever the push says.
    if (await this.db.release.findUnique({ where: { buildId: build.id }, select: { id: true } })) this.keep(created, environment);
    return deployed.ok ? { environment, end: deployed } : null;
  }

  /** An environment this push created that stays even if the push is rejected (its build is released). */
  private keep(created: Environment[], environment: Environment): void {
    const at = created.indexOf(environment);
    if (at >= 0) created.splice(at, 1);
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
      await this.progress.watchBuild(build.id, say, push.signal);
      return null;
    }
    try {
      await this.producer.enqueue(build);
    } catch (error) {
      await this.sources.remove(build.id);
      await this.records.fail(build.id, `Berth could not queue the build: ${(error as Error).message}. Push again.`);
      await this.progress.watchBuild(build.id, say, push.signal);
      return null;
    }
    const ahead = await this.db.build.count({
      where: { environmentId: environment.id, status: { in: ['queued', 'building'] }, createdAt: { lt: build.createdAt } },
    });
    if (ahead > 0) await this.log.append(build.id, `       Queued behind ${ahead} earlier build${ahead > 1 ? 's' : ''} of ${environment.name}`);
    return build;
  }

  /** Removes the environments this push created, when it is rejected. */
  private async undo(app: PushedApp, created: Environment[]): Promise<void> {
    for (const environment of created) {
      await this.environments.remove(app, environment).catch((error) => this.logger.error(`could not remove environment ${environment.name}: ${(error as Error).message}`));
    }
  }
}
