import { resolve } from 'node:path';
import { z } from 'zod';
import { env } from '../env';

export const ROLES = ['api', 'builder', 'scheduler', 'agent', 'router'] as const;
export type Role = (typeof ROLES)[number];

export const coreEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Comma-separated roles this process runs; `all` (the default) runs every role. */
  BERTH_ROLES: z
    .string()
    .default('all')
    .transform((value, ctx) => {
      const names = value.split(',').map((s) => s.trim()).filter(Boolean);
      if (names.length === 1 && names[0] === 'all') return [...ROLES];
      const unknown = names.filter((n) => !(ROLES as readonly string[]).includes(n));
      if (unknown.length || names.length === 0) {
        ctx.addIssue({ code: 'custom', message: `unknown role ${unknown.join(', ') || '(empty)'}; use "all" or a list of ${ROLES.join(', ')}` });
        return z.NEVER;
      }
      return [...new Set(names)] as Role[];
    }),
  BERTH_DATA_DIR: env.string('./data'),
  /** 32 bytes as 64 hex characters; encrypts config vars at rest. `npm run setup` writes one to .env. */
  BERTH_SECRET_KEY: z
    .string({ error: 'missing: run `npm run setup` (it writes one to .env) or set 64 hex characters' })
    .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`'),
  /**
   * `npm start` runs the roles as child processes of a supervisor that starts a dead one again
   * (there is no init system to do it). `false` runs them in this process, for a machine whose
   * own supervisor (systemd, a container engine's restart policy) does that job.
   */
  BERTH_SUPERVISE: env.bool(true),
  /** Under the supervisor: `one` process for all the roles (the laptop default), or `per-role`, so each survives the others' crashes. */
  BERTH_PROCESSES: z.enum(['one', 'per-role'], { error: 'expected one or per-role' }).default('one'),
  /** Labels what this install creates on a shared container engine; defaults to BERTH_REDIS_PREFIX. */
  BERTH_INSTALL_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,63}$/, 'expected 1 to 63 letters, digits, _, . or -').optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

export const mapCore = (e: z.infer<typeof coreEnv>) => ({
  nodeEnv: e.NODE_ENV,
  roles: e.BERTH_ROLES,
  dataDir: resolve(e.BERTH_DATA_DIR),
  secretKey: Buffer.from(e.BERTH_SECRET_KEY, 'hex'),
  logLevel: e.LOG_LEVEL,
  supervise: e.BERTH_SUPERVISE,
  processes: e.BERTH_PROCESSES,
});
