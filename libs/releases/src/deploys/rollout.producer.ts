import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { jobId, JOBS, QUEUES } from '@berth/queue';

/** Adds rollout jobs; the scheduler role runs them (RolloutProcessor in @berth/scheduler). */
@Injectable()
export class RolloutProducer {
  constructor(@InjectQueue(QUEUES.scheduler) private readonly queue: Queue) {}

  async rollOut(releaseId: string): Promise<void> {
    const spec = JOBS.rollout;
    await this.queue.add(
      'rollout',
      { releaseId },
      {
        jobId: jobId.rollout({ releaseId }),
        attempts: spec.attempts,
        backoff: { type: 'exponential', delay: spec.backoffMs },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }
}
