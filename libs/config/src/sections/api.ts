import { isIP } from 'node:net';
import { z } from 'zod';
import { env } from '../env';

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const isProxy = (item: string) => {
  const [address, bits, ...rest] = item.split('/');
  const family = isIP(address);
  return PROXY_NAMES.includes(item) || (family !== 0 && rest.length === 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))));
};

export const apiEnv = z.object({
  PORT: env.port(3000),
  HOST: env.string('0.0.0.0'),
  /** How users reach the API and git endpoint; used in git remotes. Defaults to http://localhost:PORT. */
  BERTH_PUBLIC_URL: env.url(['http', 'https']).optional(),
  /** Largest JSON request body the API accepts. */
  API_BODY_LIMIT_KB: env.int(256, 1, 10240),
  /**
   * Proxies whose X-Forwarded-For names the client (Express's "trust proxy"): addresses, CIDRs,
   * or loopback, linklocal, uniquelocal. The client's address is what login and sign-up limits count.
   */
  BERTH_TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
    .refine((items) => items.length > 0 && items.every(isProxy), 'expected a comma-separated list of IP addresses, CIDRs, loopback, linklocal or uniquelocal'),
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
  trustProxy: e.BERTH_TRUST_PROXY,
  sessionTokenDays: e.SESSION_TOKEN_DAYS,
  configMaxVars: e.CONFIG_MAX_VARS,
  configMaxValueBytes: e.CONFIG_MAX_VALUE_BYTES,
});
