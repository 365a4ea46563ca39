import { z } from 'zod';
import { env } from '../env';

export const apiEnv = z.object({
  PORT: env.port(3000),
  HOST: env.string('0.0.0.0'),
  /** How users reach the API and git endpoint; used in git remotes. Defaults to http://localhost:PORT. */
  BERTH_PUBLIC_URL: env.url(['http', 'https']).optional(),
  /** Largest JSON request body the API accepts. */
  API_BODY_LIMIT_KB: env.int(256, 1, 10240),
  /** Lifetime of tokens made by login/signup. */
  SESSION_TOKEN_DAYS: env.int(30, 1, 3650),
  /** Config limits per environment. */
  CONFIG_MAX_VARS: env.int(500, 1, 10000),
  CONFIG_MAX_VALUE_BYTES: env.int(32768, 1, 1048576),
});

export const mapApi = (e: z.infer<typeof apiEnv>) => ({
  port: e.PORT,
  host: e.HOST,
  publicUrl: (e.BERTH_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
  bodyLimitKb: e.API_BODY_LIMIT_KB,
  sessionTokenDays: e.SESSION_TOKEN_DAYS,
  configMaxVars: e.CONFIG_MAX_VARS,
  configMaxValueBytes: e.CONFIG_MAX_VALUE_BYTES,
});
