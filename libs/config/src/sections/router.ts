import { z } from 'zod';
import { env } from '../env';

export const routerEnv = z.object({
  /** Apps are served at <app>.<BERTH_DOMAIN> and previews at <env>--<app>.<BERTH_DOMAIN>. */
  BERTH_DOMAIN: z
    .string()
    .regex(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'expected a lowercase DNS name such as localhost or apps.example.com')
    .default('localhost'),
  ROUTER_PORT: env.port(8080),
  /** Port shown in app URLs when a load balancer in front listens elsewhere (e.g. 443). Defaults to ROUTER_PORT. */
  ROUTER_PUBLIC_PORT: z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535).optional(),
  ROUTER_PUBLIC_SCHEME: z.enum(['http', 'https']).default('http'),
});

export const mapRouter = (e: z.infer<typeof routerEnv>) => ({
  domain: e.BERTH_DOMAIN,
  port: e.ROUTER_PORT,
  publicPort: e.ROUTER_PUBLIC_PORT || e.ROUTER_PORT,
  publicScheme: e.ROUTER_PUBLIC_SCHEME,
});
