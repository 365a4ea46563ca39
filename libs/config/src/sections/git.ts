import { z } from 'zod';
import { env } from '../env';

export const gitEnv = z.object({
  /** Largest push (the pack git uploads), in MiB; larger pushes are refused and leave nothing behind. */
  GIT_MAX_PUSH_MB: env.number(512, 0.01, 1_048_576),
});

export const mapGit = (e: z.infer<typeof gitEnv>) => ({
  maxPushBytes: Math.round(e.GIT_MAX_PUSH_MB * 1024 * 1024),
});
