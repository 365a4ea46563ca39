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

/** Whether an environment serves traffic, and if not, why and what to do about it. */
export interface EnvironmentStatus {
  state: EnvironmentState;
  /** What is going on, in a sentence a user understands. */
  message: string;
  /** What to do next. */
  hint: string;
  /** Since when, for `sleeping` (ISO 8601). */
  since?: string;
}
