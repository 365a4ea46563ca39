/**
 * Which environments to put to sleep to relieve hosts short of memory: decided purely from what
 * each host's agent last reported and what runs there.
 */

export interface PressuredHost {
  id: string;
  name: string;
  /** MemAvailable as the agent last reported it; null: not reported (never pressured). */
  availableMemoryMb: number | null;
}

export interface SleepCandidate {
  environmentId: string;
  /** Whether its owner lets it sleep (sleepAfterMinutes set): production that never sleeps is never chosen. */
  maySleep: boolean;
  /** The latest of its last request, its newest release and its creation. */
  activeAt: Date;
  /** Memory its awake instances use (or are limited to, when no sample exists yet), by host id. */
  memoryMbByHost: Map<string, number>;
}

export interface PressureSleep {
  environmentId: string;
  host: { id: string; name: string; availableMemoryMb: number };
}

/**
 * For each host below `thresholdMb` of available memory: its environments that may sleep and had
 * no request for `spareMs`, least recently active first, until what they use there covers the
 * shortfall. An environment is chosen once even if it runs on several pressured hosts.
 */
export function decidePressureSleeps(hosts: PressuredHost[], candidates: SleepCandidate[], thresholdMb: number, spareMs: number, now: Date): PressureSleep[] {
  const chosen = new Map<string, PressureSleep>();
  const idle = candidates
    .filter((c) => c.maySleep && now.getTime() - c.activeAt.getTime() >= spareMs)
    .sort((a, b) => a.activeAt.getTime() - b.activeAt.getTime() || a.environmentId.localeCompare(b.environmentId));
  for (const host of hosts) {
    if (host.availableMemoryMb === null || host.availableMemoryMb >= thresholdMb) continue;
    let short = thresholdMb - host.availableMemoryMb;
    // What environments already chosen for another host free here counts too.
    for (const sleep of chosen.values()) short -= idle.find((c) => c.environmentId === sleep.environmentId)?.memoryMbByHost.get(host.id) ?? 0;
    for (const candidate of idle) {
      if (short <= 0) break;
      const here = candidate.memoryMbByHost.get(host.id);
      if (!here || chosen.has(candidate.environmentId)) continue;
      chosen.set(candidate.environmentId, { environmentId: candidate.environmentId, host: { id: host.id, name: host.name, availableMemoryMb: host.availableMemoryMb } });
      short -= here;
    }
  }
  return [...chosen.values()];
}
