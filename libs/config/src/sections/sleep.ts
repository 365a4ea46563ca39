import { z } from 'zod';
import { env } from '../env';

export const sleepEnv = z.object({
  /** Minutes without a request after which a new preview goes to sleep; 0 keeps new previews awake. Production never sleeps unless its owner sets sleepAfterMinutes. */
  PREVIEW_SLEEP_AFTER_MINUTES: env.int(30, 0, 10080),
  /** How often the scheduler looks for idle environments to put to sleep. */
  SLEEP_CHECK_SECONDS: env.int(30, 1, 3600),
  /** Seconds in one minute of sleepAfterMinutes. 60 except in tests, which cannot wait minutes for an environment to fall asleep. */
  SLEEP_MINUTE_SECONDS: env.int(60, 1, 60),
  /** How often the router reads HAProxy's per-environment session counters into Environment.lastRequestAt. */
  ROUTER_ACTIVITY_SECONDS: env.int(10, 1, 600),
  /**
   * Longest a request to a sleeping environment waits for it to wake before it gets a 503 saying
   * why. 55: a deep sleeper's start queues behind others' on a busy host, and a wake that gives
   * up still goes on (Heroku's router likewise holds a request while a dyno boots, up to 75 s);
   * kept under ROUTER_RESPONSE_TIMEOUT_SECONDS' 60, which bounds it anyway.
   */
  WAKE_TIMEOUT_SECONDS: env.int(55, 1, 600),
  /** A host whose agent reports less available memory than this is under memory pressure: its least recently requested idle environments are put to sleep until it is not. */
  MEMORY_PRESSURE_AVAILABLE_MB: env.int(1024, 0, 10_000_000),
  /** Memory pressure never puts to sleep an environment that had a request within this many seconds. */
  MEMORY_PRESSURE_SPARE_SECONDS: env.int(60, 0, 86400),
});

export const mapSleep = (e: z.infer<typeof sleepEnv>) => ({
  previewSleepAfterMinutes: e.PREVIEW_SLEEP_AFTER_MINUTES || null,
  checkMs: e.SLEEP_CHECK_SECONDS * 1000,
  minuteMs: e.SLEEP_MINUTE_SECONDS * 1000,
  activityMs: e.ROUTER_ACTIVITY_SECONDS * 1000,
  wakeTimeoutMs: e.WAKE_TIMEOUT_SECONDS * 1000,
  pressureAvailableMb: e.MEMORY_PRESSURE_AVAILABLE_MB,
  pressureSpareMs: e.MEMORY_PRESSURE_SPARE_SECONDS * 1000,
});
