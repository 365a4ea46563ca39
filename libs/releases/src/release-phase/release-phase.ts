/**
 * The release phase (Heroku's): the image's `release` process type (a Procfile `release:` line)
 * runs once per new release, in a one-off container of that release's image with its config,
 * before any of its instances start. It is never a scaled process type. What runs the container
 * is a port (ReleasePhaseRunner) that the agent library provides; this file holds the decisions.
 */

/** The Procfile process type that runs as the release phase instead of being scaled. */
export const RELEASE_PROCESS_TYPE = 'release';

export interface ReleasePhaseRun {
  /** Names the container (one per release, so a retry finds a leftover one). */
  releaseId: string;
  version: number;
  app: { id: string; name: string };
  environmentName: string;
  /** The image's tag on the engine. */
  image: string;
  command: string;
  /** The release's config. */
  env: Record<string, string>;
  /** Limits of the container: those of the release's web process, or the environment's defaults. */
  size: { memoryMb: number; cpuMillis: number; pidsLimit: number; diskMb: number };
  timeoutMs: number;
  /** Receives the container's output (stdout and stderr) as it comes. */
  output: (text: string) => void;
}

/** How the release phase ended: its exit code, or that it was stopped at its time limit. */
export interface ReleasePhaseEnd {
  exitCode: number;
  timedOut: boolean;
}

/** Runs a release phase's container to its end (the agent library's ReleasePhaseContainer). */
export abstract class ReleasePhaseRunner {
  abstract run(run: ReleasePhaseRun): Promise<ReleasePhaseEnd>;
}

/** The release command of an image's process types (Image.processTypes), or null when it has none. */
export function releaseCommandOf(processTypes: unknown): string | null {
  if (!processTypes || typeof processTypes !== 'object' || Array.isArray(processTypes)) return null;
  const command = (processTypes as Record<string, unknown>)[RELEASE_PROCESS_TYPE];
  return typeof command === 'string' && command.trim() ? command : null;
}

/**
 * What a rollout does about the release phase, from the release's row: `none` (no release
 * command), `run` (not begun), `done` (ended: its outcome was dealt with then), `interrupted`
 * (begun by an attempt that never ended it: the process running it died). An interrupted phase
 * is not run again by itself: a half-run migration is for the developer to look at, so the
 * release is failed and they redeploy.
 */
export function releasePhaseStep(command: string | null, row: { releasePhaseStartedAt: Date | null; releasePhaseEndedAt: Date | null }): 'none' | 'run' | 'done' | 'interrupted' {
  if (!command) return 'none';
  if (!row.releasePhaseStartedAt) return 'run';
  return row.releasePhaseEndedAt ? 'done' : 'interrupted';
}

export const INTERRUPTED_REASON =
  'the release command was interrupted (the process running it stopped before it ended); it is not run twice on its own. Check what it did, then redeploy';

const MAX_LINE = 300;

/** Keeps the last non-empty line of a stream of output (chunks may split lines), for the failure reason. */
export class LastLine {
  private pending = '';
  private last = '';

  write(text: string): void {
    const lines = (this.pending + text).split(/\r?\n|\r/);
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.keep(line);
  }

  get value(): string {
    this.keep(this.pending);
    return this.last;
  }

  private keep(line: string): void {
    const clean = line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim();
    if (clean) this.last = clean.length > MAX_LINE ? `${clean.slice(0, MAX_LINE - 1)}…` : clean;
  }
}

/** The release's failure reason when its release phase did not succeed, or null when it did. */
export function releasePhaseFailure(end: ReleasePhaseEnd, lastLine: string, timeoutMs: number): string | null {
  const tail = lastLine ? `: ${lastLine}` : ' (it printed nothing)';
  if (end.timedOut) return `release command did not finish within ${Math.round(timeoutMs / 1000)} s (RELEASE_PHASE_TIMEOUT_SECONDS) and was stopped${tail}`;
  if (end.exitCode !== 0) return `release command exited with code ${end.exitCode}${tail}`;
  return null;
}
