/** When a supervised process that ended is started again. */
export interface RestartPolicy {
  /** The first restart waits this long. */
  initialDelayMs: number;
  /** Each further restart after a short run waits twice as long, up to this. */
  maxDelayMs: number;
  /** A run at least this long counts as healthy: the next restart waits initialDelayMs again. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 1000, maxDelayMs: 60_000, stableAfterMs: 30_000 };

/**
 * How long to wait before starting a process again, from how long its recent runs lasted
 * (newest last): a process that keeps dying soon after starting backs off exponentially; one
 * that ran for a while restarts at once.
 */
export function restartDelay(runDurationsMs: readonly number[], policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  let shortRuns = 0;
  for (let i = runDurationsMs.length - 1; i >= 0 && runDurationsMs[i] < policy.stableAfterMs; i--) shortRuns++;
  if (shortRuns === 0) return policy.initialDelayMs;
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (shortRuns - 1));
}
