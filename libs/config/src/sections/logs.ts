import { z } from 'zod';
import { env } from '../env';

export const logsEnv = z.object({
  /** Runtime log lines older than this are trimmed. */
  LOGS_RETENTION_DAYS: env.number(7, 0.001, 3650),
  /** Each environment keeps at most this many of its newest lines. */
  LOGS_MAX_LINES_PER_ENV: env.int(100000, 1, 100_000_000),
  /** An instance may log this many lines per second; the rest are dropped and counted in one Berth line. */
  LOGS_RATE_LINES_PER_SECOND: env.int(500, 1, 1_000_000),
  /** Longer lines are cut here (bytes of UTF-8) and marked. */
  LOGS_MAX_LINE_BYTES: env.int(8192, 256, 1_048_576),
  /** How often the api role trims log history. */
  LOGS_TRIM_INTERVAL_SECONDS: env.int(600, 1, 86400),
  /** Log drains an environment may have. */
  LOGS_MAX_DRAINS_PER_ENV: env.int(5, 0, 100),
  /**
   * For tests only: lets a drain POST over plain http to a loopback address (a receiver in the
   * test process). Every other private, link-local or platform address stays refused.
   */
  LOGS_DRAINS_ALLOW_LOOPBACK: env.bool(false),
});

export const mapLogs = (e: z.infer<typeof logsEnv>) => ({
  retentionMs: Math.round(e.LOGS_RETENTION_DAYS * 24 * 3600 * 1000),
  maxLinesPerEnvironment: e.LOGS_MAX_LINES_PER_ENV,
  linesPerSecond: e.LOGS_RATE_LINES_PER_SECOND,
  maxLineBytes: e.LOGS_MAX_LINE_BYTES,
  trimIntervalMs: e.LOGS_TRIM_INTERVAL_SECONDS * 1000,
  maxDrainsPerEnvironment: e.LOGS_MAX_DRAINS_PER_ENV,
  drainsAllowLoopback: e.LOGS_DRAINS_ALLOW_LOOPBACK,
});
