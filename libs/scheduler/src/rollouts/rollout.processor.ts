import { Logger } from '@nestjs/common';
import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { CatalogueWorker, Handlers, JobPayloads, QUEUES } from '@berth/queue';
import { PrismaService } from '@berth/db';
import { RolloutService } from './rollout.service';

/** Runs rollout jobs. Rollouts mostly wait on agents, so many run at once. */
@Processor(QUEUES.scheduler, { concurrency: 32 })
export class RolloutProcessor extends CatalogueWorker {
  protected readonly queueName = QUEUES.scheduler;
  private readonly logger = new Logger(RolloutProcessor.name);

  constructor(
    private readonly rollouts: RolloutService,
    private readonly db: PrismaService,
  ) {
    super();
  }

  protected handlers(): Handlers<'rollout'> {
    return { rollout: async ({ releaseId }) => this.rollouts.run(releaseId) };
  }

  /** After the last attempt: the release failed (see JOBS.rollout); the previous one keeps serving. */
  @OnWorkerEvent('failed')
  async onFailed(job: Job<JobPayloads['rollout']> | undefined, error: Error): Promise<void> {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const release = await this.db.release.findUnique({ where: { id: job.data.releaseId } });
    if (release) await this.rollouts.fail(release, `the rollout could not complete (${error.message}); try again with a rollback to the same version`);
    this.logger.error(`rollout of release ${job.data.releaseId} failed for good: ${error.message}`);
  }
}
