import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { DelayedError, Job } from 'bullmq';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { CatalogueWorker, Handlers, JobPayloads, QUEUES } from '@berth/queue';
import { BuildLog, BuildLogWriter } from '../build-log/build-log.service';
import { BuildRecords } from '../builds/build-records.service';
import { BuildFailure } from '../buildpacks/build-failure';
import { BuildPlan, CONTAINERFILE_PATH } from '../buildpacks/build-plan';
import { Buildpacks } from '../buildpacks/buildpacks.service';
import { DirectoryTree } from '../buildpacks/source-tree';
import { contextFiles, packBuildContext } from '../image-build/build-context';
import { BuildCaches, describeRestored } from '../image-build/build-cache';
import { ImageBuilder } from '../image-build/image-builder';
import { StackImage } from '../image-build/stack-image';
import { SourceStore } from '../source/source-store';
import { BuildSweeper } from './build-sweeper';

/** A build waiting for an earlier build of its environment looks again after this long. */
const WAIT_FOR_EARLIER_MS = 1500;
/** How long a stopping builder waits for its aborted builds to wind down. */
const STOP_WAIT_MS = 45_000;

type BuildRow = NonNullable<Awaited<ReturnType<BuildsProcessor['load']>>>;

/**
 * Runs build jobs (the builder role): unpacks the pushed commit, detects its buildpack, builds
 * the image through the engine with the build limits, tags and records it. Builds of one
 * environment run one at a time in push order (a later one waits, delayed, without holding a
 * worker); different environments build in parallel up to BUILD_CONCURRENCY.
 */
@Processor(QUEUES.builds, { autorun: false })
export class BuildsProcessor extends CatalogueWorker implements OnApplicationBootstrap, OnModuleDestroy {
  protected readonly queueName = QUEUES.builds;
  private readonly logger = new Logger('Builds');
  private readonly running = new Map<string, { controller: AbortController; done: Promise<unknown> }>();

  constructor(
    private readonly db: PrismaService,
    private readonly records: BuildRecords,
    private readonly log: BuildLog,
    private readonly sources: SourceStore,
    private readonly buildpacks: Buildpacks,
    private readonly images: ImageBuilder,
    private readonly stack: StackImage,
    private readonly sweeper: BuildSweeper,
    private readonly config: BerthConfig,
    private readonly caches: BuildCaches,
  ) {
    super();
  }

  protected handlers(): Partial<Handlers<'build'>> {
    return { build: (data, job, token) => this.build(data, job, token) };
  }

  /** Settles builds left unfinished by a builder that died, then takes jobs. */
  async onApplicationBootstrap(): Promise<void> {
    // Not awaited: with Redis or the engine down, the builder still starts and catches up.
    void this.sweeper.sweep().catch((error) => this.logger.warn(`sweeping unfinished builds failed: ${(error as Error).message}`));
    this.sweeper.start();
    this.worker.concurrency = this.config.builds.concurrency;
    void this.worker.run().catch((error) => this.logger.error(`build worker stopped: ${(error as Error).message}`));
  }

  /**
   * Stops running builds when the process stops, and waits for them to say so in their logs
   * (Redis and the database close after this module); their jobs are retried by a builder.
   */
  async onModuleDestroy(): Promise<void> {
    const running = [...this.running.values()];
    for (const { controller } of running) controller.abort();
    await Promise.race([Promise.allSettled(running.map(({ done }) => done)), new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job<JobPayloads['build']> | undefined, error: Error): Promise<void> {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(error.message);
    if (final) await this.records.fail(job.data.buildId, couldNotFinish(error));
  }

  load(buildId: string) {
    return this.db.build.findUnique({ where: { id: buildId }, include: { app: { select: { id: true, name: true } }, environment: { select: { id: true, name: true } } } });
  }

  private async build({ buildId }: JobPayloads['build'], job: Job<JobPayloads['build']>, token?: string): Promise<string> {
    const build = await this.load(buildId);
    if (!build || build.status === 'succeeded' || build.status === 'failed') {
      await this.sources.remove(buildId);
      return 'already settled';
    }
    if (await this.hasEarlierUnfinished(build)) {
      await job.moveToDelayed(Date.now() + WAIT_FOR_EARLIER_MS, token);
      throw new DelayedError();
    }
    const resumed = build.status === 'building';
    if (!(await this.records.start(buildId))) return 'already settled';

    const out = this.log.writer(buildId);
    const controller = new AbortController();
    let finish: () => void = () => undefined;
    this.running.set(buildId, { controller, done: new Promise<void>((resolve) => (finish = resolve)) });
    const workspace = join(this.config.dataDir, 'builds', buildId);
    const attempts = job.opts.attempts ?? 1;
    const lastAttempt = job.attemptsMade + 1 >= attempts;
    let plan: BuildPlan | null = null;
    let context: Readable | null = null;
    let settled = true;
    try {
      if (resumed) out.step('Building again: the previous attempt was interrupted');
      out.step(`Building on ${hostname()}`);
      if (await this.reuse(build, out)) return 'reused';
      await this.stack.ensure((text) => out.detail(text));
      if (!(await this.sources.exists(buildId))) {
        throw new BuildFailure('The source of this build is not readable here (BERTH_DATA_DIR/sources must be shared between the api and builders). Push again.');
      }
      await rm(workspace, { recursive: true, force: true });
      const src = join(workspace, 'src');
      await this.sources.extract(buildId, src);
      const cacheKey = this.caches.keyFor(build.environmentId);
      plan = await this.buildpacks.plan(new DirectoryTree(src), { appName: build.app.name, appId: build.appId, installId: this.config.installId, envName: build.environment.name, commitSha: build.commitSha, buildId, cacheKey });
      out.step(plan.detected);
      await this.records.planned(buildId, plan.buildpack);
      for (const note of plan.notes) out.detail(note);
      // Berth's files join the source in the stream sent to the engine, never on disk in the
      // app's tree, where the app's own links could send them elsewhere.
      const files = await contextFiles(src, { ...plan.files, [CONTAINERFILE_PATH]: plan.containerfile });
      // Only a plan whose steps mount the environment's caches uses them (not a Dockerfile's).
      const cached = cacheKey !== null && plan.containerfile.includes(`id=${cacheKey}-`);
      if (cached) out.detail(describeRestored(await this.caches.measure(cacheKey)));
      out.step('Building the image');
      context = packBuildContext(src, files);
      const imageId = await this.images.build({ buildId, context, containerfile: CONTAINERFILE_PATH, output: (text) => out.write(text), signal: controller.signal });
      if (cached) {
        const emptied = await this.caches.bound(cacheKey).catch((error: Error) => `Could not measure the build cache: ${error.message}`);
        if (emptied) out.detail(emptied);
      }
      await this.record(build, imageId, plan, out);
      return 'built';
    } catch (error) {
      await out.flush();
      if (error instanceof BuildFailure) {
        await this.records.fail(buildId, error.message, plan?.buildpack);
        return 'failed';
      }
      if (!lastAttempt) {
        settled = false;
        out.step(`The build was interrupted (${(error as Error).message}); a builder will try again.`);
        await out.flush();
        throw error;
      }
      await this.records.fail(buildId, couldNotFinish(error as Error), plan?.buildpack);
      return 'failed';
    } finally {
      context?.destroy(); // whatever the engine did not read (it failed early) is not packed
      await rm(workspace, { recursive: true, force: true }).catch(() => undefined);
      if (settled) await this.sources.remove(buildId);
      this.running.delete(buildId);
      finish();
    }
  }

  /** Whether an earlier push to the same environment is still queued or building. */
  private async hasEarlierUnfinished(build: BuildRow): Promise<boolean> {
    const earlier = await this.db.build.count({
      where: {
        environmentId: build.environmentId,
        status: { in: ['queued', 'building'] },
        OR: [{ createdAt: { lt: build.createdAt } }, { createdAt: build.createdAt, id: { lt: build.id } }],
      },
    });
    return earlier > 0;
  }

  /** A commit already built for this app is not built again: the build takes its image. */
  private async reuse(build: BuildRow, out: BuildLogWriter): Promise<boolean> {
    const image = await this.db.image.findFirst({ where: { appId: build.appId, commitSha: build.commitSha }, orderBy: { createdAt: 'desc' }, include: { build: { select: { buildpack: true } } } });
    if (!image) return false;
    if (!(await this.images.has(image.tag))) {
      out.step(`The image built earlier from ${build.commitSha.slice(0, 7)} (${image.tag}) is gone from the engine; building again`);
      return false;
    }
    out.step(`${build.commitSha.slice(0, 7)} was built before: reusing image ${image.tag} (no rebuild)`);
    out.detail(`Process types: ${describeProcessTypes(image.processTypes as Record<string, string | null>)}`);
    await out.flush();
    if (await this.records.succeed(build.id, image.id, image.build?.buildpack ?? null)) await this.log.end(build.id, { status: 'succeeded', failureReason: null });
    return true;
  }

  /**
   * Tags the image by its content digest (never moving a tag) and records it with the build's
   * success in one transaction. If the build vanished meanwhile (its environment was deleted),
   * the image is removed again.
   */
  private async record(build: BuildRow, imageId: string, plan: BuildPlan, out: BuildLogWriter): Promise<void> {
    const { name, sizeBytes } = await this.images.tagForApp(imageId, build.app.name);
    let recorded = false;
    try {
      recorded = await this.db.$transaction(async (tx) => {
        const row = await tx.image.create({
          data: { appId: build.appId, buildId: build.id, digest: imageId, tag: name, sizeBytes: BigInt(sizeBytes), commitSha: build.commitSha, processTypes: plan.processTypes },
        });
        const ok = await this.records.succeed(build.id, row.id, plan.buildpack, tx);
        if (!ok) throw new Error('the build is no longer building');
        return true;
      });
    } catch (error) {
      const gone = !(await this.db.build.findUnique({ where: { id: build.id }, select: { id: true } }));
      if (!gone) throw error;
    }
    if (!recorded) {
      await this.images.removeImagesOf(build.id);
      this.logger.log(`build ${build.id} was removed while building (its environment was deleted); its image is removed too`);
      return;
    }
    out.step(`Built image ${name} (${formatBytes(sizeBytes)})`);
    out.detail(`Process types: ${describeProcessTypes(plan.processTypes)}`);
    await out.flush();
    await this.log.end(build.id, { status: 'succeeded', failureReason: null });
  }
}

function couldNotFinish(error: Error): string {
  // BullMQ's own words ("job stalled more than allowable limit") are not for users.
  const why = /stalled/i.test(error.message) ? 'the builder running it stopped answering' : error.message;
  return `Berth could not finish the build: ${why}. Push again; if it keeps failing, tell the operator.`;
}

function describeProcessTypes(types: Record<string, string | null>): string {
  return Object.entries(types)
    .map(([type, command]) => `${type} (${command ?? "the image's own command"})`)
    .join(', ');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
