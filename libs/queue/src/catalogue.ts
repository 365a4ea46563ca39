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
    // A second attempt covers a builder that died or lost the engine mid-build; a build that
    // fails for the app's own reasons (nothing detected, a failing step, the time limit) is
    // recorded as failed and does not throw, so it is not retried.
    attempts: 2,
    backoffMs: 2000,
    onFinalFailure: 'the build is marked failed with the reason, and the push that started it fails',
  },
};

/**
 * Job ids say what a job is about, so enqueueing the same thing twice is harmless. (BullMQ
 * refuses ids with ":" unless split into exactly three parts, hence the dots.) Finished build
 * jobs are removed, so a later push of the same commit can build again.
 */
export const jobId = {
  build: (p: { appId: string; environmentId: string; commitSha: string }) => `build.${p.appId}.${p.environmentId}.${p.commitSha}`,
};

export const jobsOfQueue = (queue: QueueName): JobName[] =>
  (Object.keys(JOBS) as JobName[]).filter((name) => JOBS[name].queue === queue);
