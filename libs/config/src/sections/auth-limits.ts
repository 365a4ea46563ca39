import { z } from 'zod';
import { env } from '../env';

/** Rate limits on login and sign-up, counted in Redis so every api process shares them. */
export const authLimitsEnv = z.object({
  /** Failed logins for one account (email) before it waits out the window; a successful login forgets them. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: env.int(10, 1, 1_000_000),
  LOGIN_FAILURE_WINDOW_SECONDS: env.int(900, 1, 86_400),
  /** Login attempts, right or wrong, from one client address. */
  LOGIN_MAX_ATTEMPTS_PER_ADDRESS: env.int(30, 1, 1_000_000),
  LOGIN_ATTEMPT_WINDOW_SECONDS: env.int(60, 1, 86_400),
  /** Sign-ups from one client address. */
  SIGNUP_MAX_PER_ADDRESS: env.int(10, 1, 1_000_000),
  SIGNUP_WINDOW_SECONDS: env.int(3600, 1, 86_400),
});

export interface RateLimit {
  max: number;
  windowMs: number;
}

export const mapAuthLimits = (e: z.infer<typeof authLimitsEnv>) => ({
  loginFailuresPerAccount: { max: e.LOGIN_MAX_FAILURES_PER_ACCOUNT, windowMs: e.LOGIN_FAILURE_WINDOW_SECONDS * 1000 } satisfies RateLimit,
  loginAttemptsPerAddress: { max: e.LOGIN_MAX_ATTEMPTS_PER_ADDRESS, windowMs: e.LOGIN_ATTEMPT_WINDOW_SECONDS * 1000 } satisfies RateLimit,
  signupsPerAddress: { max: e.SIGNUP_MAX_PER_ADDRESS, windowMs: e.SIGNUP_WINDOW_SECONDS * 1000 } satisfies RateLimit,
});
