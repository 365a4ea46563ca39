import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { JOBS, jobId, JobPayloads, QUEUES } from '@berth/queue';

export interface BuildJobSubject {
  id: string;
  appId: string;
  environmentId: string;
  commitSha: string;
}

/** Adds build jobs (the builder role runs them, see BuildsProcessor). */
@Injectable()
export class BuildsProducer {
  constructor(@InjectQueue(QUEUES.builds) private readonly queue: Queue<JobPayloads['build']>) {}

  async enqueue(build: BuildJobSubject): Promise<void> {
    const spec = JOBS.build;
    await this.queue.add(
      'build',
      { buildId: build.id },
      {
        jobId: jobId.build(build),
        attempts: spec.attempts,
        backoff: { type: 'fixed', delay: spec.backoffMs },
        // The Build row is the record; a finished job only frees its id for a later push.
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  /** The job of a build, if BullMQ still has it, and its state. */
  async jobState(build: BuildJobSubject): Promise<string | null> {
    const job = await this.queue.getJob(jobId.build(build));
    if (!job || job.data.buildId !== build.id) return null;
    return job.getState();
  }

  /** Builder processes connected to the build queue now (BullMQ names its workers' connections). */
  async builderCount(): Promise<number> {
    return (await this.queue.getWorkers()).length;
  }
}
