import { z } from 'zod';
import { env } from '../env';

export const redisEnv = z.object({
  REDIS_URL: env.url(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and queue, so several installs (or test runs) can share a server. */
  BERTH_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'expected 1 to 40 letters, digits, _ or -').default('berth'),
});

export const mapRedis = (e: z.infer<typeof redisEnv>) => ({
  url: e.REDIS_URL,
  prefix: e.BERTH_REDIS_PREFIX,
});
