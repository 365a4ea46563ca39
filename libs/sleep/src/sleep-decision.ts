/** Whether an environment should fall asleep, stay as it is, or is awake again: decided purely from its facts. */

export interface SleepFacts {
  /** null: it never sleeps by itself. */
  sleepAfterMinutes: number | null;
  sleepingSince: Date | null;
  lastRequestAt: Date | null;
  createdAt: Date;
  /** Its newest release; `rolling` while it is pending or deploying. */
  newestRelease: { createdAt: Date; rolling: boolean } | null;
  /** Instances of its current release that are meant to run (desiredState running). */
  awakeInstances: number;
}

export type SleepDecision =
  /** Idle for sleepAfterMinutes: stop its instances (containers kept) and mark it asleep. */
  | { action: 'sleep'; idleMinutes: number }
  /** Asleep, but a release rolled out meanwhile (a config change, a rollback, a push): back to sleep without waiting. */
  | { action: 'sleep_again' }
  /** Marked asleep, yet it answered a request since (HAProxy routed one to a release that rolled out meanwhile): awake. */
  | { action: 'awake' }
  | { action: 'none' };

/**
 * The environment's idle time starts at the latest of its last request, its newest release and
 * its creation: a fresh deploy is not put to sleep before anyone had the chance to visit it.
 * `minuteMs` is 60 000 except in tests.
 */
export function decideSleep(f: SleepFacts, now: Date, minuteMs: number): SleepDecision {
  // Nothing runs, or a rollout is under way: the rollout decides for now; look again after it.
  if (!f.newestRelease || f.newestRelease.rolling || f.awakeInstances === 0) return { action: 'none' };
  if (f.sleepingSince) {
    return f.lastRequestAt && f.lastRequestAt > f.sleepingSince ? { action: 'awake' } : { action: 'sleep_again' };
  }
  if (f.sleepAfterMinutes === null) return { action: 'none' };
  const idleSince = Math.max(f.lastRequestAt?.getTime() ?? 0, f.newestRelease.createdAt.getTime(), f.createdAt.getTime());
  const idleMs = now.getTime() - idleSince;
  return idleMs >= f.sleepAfterMinutes * minuteMs ? { action: 'sleep', idleMinutes: Math.floor(idleMs / minuteMs) } : { action: 'none' };
}
