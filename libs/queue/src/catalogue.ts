/**
 * The typed catalogue of background jobs: one name per job, one payload type per name, the
 * queue each runs on, and what happens on failure. A worker for a queue must handle every
 * job of that queue (see CatalogueWorker) or its process refuses to start.
 */
export const QUEUES = {
  builds: 'builds',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobPayloads {
  /** Turn a pushed commit into an image. */
  build: { buildId: string };
}
export type JobName = keyof JobPayloads;

export interface JobSpec {
  queue: QueueName;
  /** Attempts in all, including the first. */
  attempts: number;
  backoffMs: number;
  /** What a job's final failure means, in one line. */
  onFinalFailure: string;
}

export const JOBS: { [N in JobName]: JobSpec } = {
  build: {
    queue: QUEUES.builds,
    attempts: 2,
    backoffMs: 2000,
    onFinalFailure: 'the build is marked failed with the reason, and the push that started it fails',
  },
};

/** Job ids say what a job is about, so enqueueing the same thing twice is harmless. */
export const jobId = {
  build: (p: { appId: string; environmentId: string; commitSha: string; buildId: string }) =>
    `build:${p.appId}:${p.environmentId}:${p.commitSha}:${p.buildId}`,
};

export const jobsOfQueue = (queue: QueueName): JobName[] =>
  (Object.keys(JOBS) as JobName[]).filter((name) => JOBS[name].queue === queue);
