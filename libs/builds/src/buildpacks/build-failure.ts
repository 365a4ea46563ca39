/**
 * A build that failed for a reason in the app itself (nothing to detect, a bad Procfile, a
 * failing step, the time limit): recorded as failed with this message and not retried.
 */
export class BuildFailure extends Error {}
