import { OnModuleInit } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { RedisOutage } from '@berth/redis';
import type { Job } from 'bullmq';
import { JobName, JobPayloads, jobsOfQueue, QueueName } from './catalogue';

/** A handler gets the job's lock token too, for calls such as job.moveToDelayed(at, token). */
export type Handlers<N extends JobName> = { [K in N]: (data: JobPayloads[K], job: Job<JobPayloads[K]>, token?: string) => Promise<unknown> };

/**
 * Base class of every BullMQ processor: it dispatches each job to the handler for its name
 * and, at start, refuses to run if a job of its queue has no handler.
 */
export abstract class CatalogueWorker extends WorkerHost implements OnModuleInit {
  protected abstract readonly queueName: QueueName;
  protected abstract handlers(): Partial<Handlers<JobName>>;

  onModuleInit(): void {
    const handlers = this.handlers();
    const missing = jobsOfQueue(this.queueName).filter((name) => typeof handlers[name] !== 'function');
    if (missing.length) throw new Error(`${this.constructor.name} serves queue "${this.queueName}" but has no handler for: ${missing.join(', ')}`);
  }

  /** Connection errors of the worker: one line per Redis outage (see RedisOutage). */
  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    RedisOutage.failed(error);
  }

  async process(job: Job, token?: string): Promise<unknown> {
    const handler = this.handlers()[job.name as JobName] as ((data: unknown, job: Job, token?: string) => Promise<unknown>) | undefined;
    if (!handler) throw new Error(`no handler for job "${job.name}" on queue "${this.queueName}"`);
    return handler(job.data, job, token);
  }
}
