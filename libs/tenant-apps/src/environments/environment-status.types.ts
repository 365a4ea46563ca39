// Types only: the dashboard (apps/dashboard) imports them too, so nothing here may need Node.

export type EnvironmentState =
  | 'running'
  | 'not_deployed'
  | 'building'
  | 'build_failed'
  | 'starting'
  | 'release_failed'
  | 'crashed'
  | 'unplaced'
  | 'scaled_to_zero'
  | 'sleeping';

/**
 * Who reads a status decides its hint where the cause is capacity: a member can change the
 * formation; an operator (OPERATOR_EMAILS) can add hosts and is shown the numbers.
 */
export type StatusAudience = 'member' | 'operator';

/** Whether an environment serves traffic, and if not, why and what to do about it. */
export interface EnvironmentStatus {
  state: EnvironmentState;
  /** What is going on, in a sentence a user understands. */
  message: string;
  /** What to do next. */
  hint: string;
  /** Since when, for `sleeping` (ISO 8601). */
  since?: string;
  /**
   * The latest push did not make it while an older release serves (state `running`): its
   * build failed, its release failed or waits for room. Null when it did, or is still on its way.
   */
  latestPush?: { state: 'build_failed' | 'release_failed' | 'unplaced'; message: string; hint: string } | null;
}
