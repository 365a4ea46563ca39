/** What the agent knows when a container has stopped by itself. */
export interface CrashFacts {
  exitCode: number;
  /** The instance's memory limit. */
  memoryMb: number;
  /** The kernel log named this container's cgroup in an `oom-kill:` record; null when the log cannot be read. */
  kernelSawOomKill: boolean | null;
  /** OOM kills counted in the container's own memory cgroup (memory.oom_control / memory.events) while it ran. */
  cgroupOomKills: number;
  /** The host's OOM-kill count (/proc/vmstat) went up since the last round. */
  hostOomKillsRose: boolean;
}

/**
 * Why a container stopped, in words for its owner. An OOM kill inside the container counts
 * whatever the exit code: the killed process may be a child whose parent then exits with its
 * own code (`npm start` exits 1 when node is killed). Only a bare SIGKILL with neither record
 * is taken from the host-wide counter, which other containers also move.
 */
export function crashCause(f: CrashFacts): string {
  const oom = f.kernelSawOomKill === true || f.cgroupOomKills > 0 || (f.kernelSawOomKill === null && f.exitCode === 137 && f.hostOomKillsRose);
  if (oom) return `ran out of memory at ${f.memoryMb} MB and was killed`;
  if (f.exitCode === 137) return 'was killed (SIGKILL)';
  return `exited with code ${f.exitCode}`;
}
