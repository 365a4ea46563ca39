/**
 * The typed catalogue of background jobs: one name per job, one payload type per name, the
 * queue each runs on, and what happens on failure. A worker for a queue must handle every
 * job of that queue (see CatalogueWorker) or its process refuses to start.
 */
export const QUEUES = {
  builds: 'builds',
  scheduler: 'scheduler',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobPayloads {
  /** Turn a pushed commit into an image. */
  build: { buildId: string };
  /** Start a release's instances, switch routes to them once healthy, then stop the old ones. */
  rollout: { releaseId: string };
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
  rollout: {
    queue: QUEUES.scheduler,
    // Unhealthy instances are an outcome, not an error: only lost connections and crashes of
    // the scheduler itself make a rollout job fail and run again (it picks up where it was).
    attempts: 3,
    backoffMs: 5000,
    onFinalFailure: 'the release is marked failed with the error and its instances are stopped; the previous release keeps serving',
  },
};

/**
 * Job ids say what a job is about, so enqueueing the same thing twice is harmless. (BullMQ
 * refuses ids with ":" unless split into exactly three parts, hence the dots.) Finished build
 * jobs are removed, so a later push of the same commit can build again.
 */
export const jobId = {
  build: (p: { appId: string; environmentId: string; commitSha: string }) => `build.${p.appId}.${p.environmentId}.${p.commitSha}`,
  rollout: (p: { releaseId: string }) => `rollout-${p.releaseId}`,
};

export const jobsOfQueue = (queue: QueueName): JobName[] =>
  (Object.keys(JOBS) as JobName[]).filter((name) => JOBS[name].queue === queue);
