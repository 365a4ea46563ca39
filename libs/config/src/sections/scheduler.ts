import { z } from 'zod';
import { env } from '../env';

export const schedulerEnv = z.object({
  /** How often the scheduler looks for pending instances, silent hosts and drains. */
  SCHEDULER_INTERVAL_MS: env.int(1000, 100, 600000),
  /**
   * A host whose agent has not reported for this long is unreachable: no new instances go to
   * it. It is marked down and its instances placed elsewhere once none of them answers (the
   * scheduler connects to each) — while they answer they keep serving, up to HOST_LOST_AFTER_SECONDS.
   */
  HOST_DOWN_AFTER_SECONDS: env.int(20, 2, 3600),
  /** A host silent for this long is marked down and its instances moved even if they still answer (those keep serving until they run healthy elsewhere). */
  HOST_LOST_AFTER_SECONDS: env.int(300, 2, 86400),
  /** How long a new release's instances have to become healthy before the release is marked failed. */
  ROLLOUT_TIMEOUT_SECONDS: env.int(120, 5, 3600),
  /** Pause between switching routes to a new release and stopping the old one, so the router has switched first. */
  ROLLOUT_DRAIN_SECONDS: env.number(3, 0, 600),
  /** How long a release phase (the Procfile's `release:` command) may run before it is stopped and its release fails. */
  RELEASE_PHASE_TIMEOUT_SECONDS: env.int(900, 1, 86400),
  /** Comma-separated emails of the users who may list, cordon and drain hosts (hosts are shared by every team). */
  BERTH_OPERATOR_EMAILS: z.string().default(''),
});

export const mapScheduler = (e: z.infer<typeof schedulerEnv>) => ({
  intervalMs: e.SCHEDULER_INTERVAL_MS,
  hostDownAfterMs: e.HOST_DOWN_AFTER_SECONDS * 1000,
  hostLostAfterMs: Math.max(e.HOST_LOST_AFTER_SECONDS, e.HOST_DOWN_AFTER_SECONDS) * 1000,
  rolloutTimeoutMs: e.ROLLOUT_TIMEOUT_SECONDS * 1000,
  drainMs: Math.round(e.ROLLOUT_DRAIN_SECONDS * 1000),
  releasePhaseTimeoutMs: e.RELEASE_PHASE_TIMEOUT_SECONDS * 1000,
  operatorEmails: e.BERTH_OPERATOR_EMAILS.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean),
});
