import { z } from 'zod';
import { env } from '../env';

export const gitEnv = z.object({
  /** Largest push (the pack git uploads), in MiB; larger pushes are refused and leave nothing behind. */
  GIT_MAX_PUSH_MB: env.number(512, 0.01, 1_048_576),
  /**
   * How long a push waits for its release to serve before it gives up (exit 1, the branch not
   * moved; the release goes on). 0: the push ends once the release is recorded, without waiting.
   */
  GIT_PUSH_DEPLOY_WAIT_SECONDS: env.int(300, 0, 3600),
});

export const mapGit = (e: z.infer<typeof gitEnv>) => ({
  maxPushBytes: Math.round(e.GIT_MAX_PUSH_MB * 1024 * 1024),
  pushDeployWaitMs: e.GIT_PUSH_DEPLOY_WAIT_SECONDS * 1000,
});
