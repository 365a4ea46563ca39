import { z } from 'zod';
import { env } from '../env';

export const routerEnv = z.object({
  /** Apps are served at <app>.<BERTH_DOMAIN> and previews at <env>--<app>.<BERTH_DOMAIN>. */
  BERTH_DOMAIN: z
    .string()
    .regex(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'expected a lowercase DNS name such as localhost or apps.example.com')
    .default('localhost'),
  ROUTER_PORT: env.port(8080),
  /** Address the router listens on. */
  ROUTER_HOST: env.string('0.0.0.0'),
  /** Port shown in app URLs when a load balancer in front listens elsewhere (e.g. 443). Defaults to ROUTER_PORT. */
  ROUTER_PUBLIC_PORT: z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535).optional(),
  ROUTER_PUBLIC_SCHEME: z.enum(['http', 'https']).default('http'),
  /** Longest wait for a connection to an instance. */
  ROUTER_CONNECT_TIMEOUT_SECONDS: env.int(5, 1, 600),
  /** Longest silence from an instance while a response is due (time to first byte, and between bytes). */
  ROUTER_RESPONSE_TIMEOUT_SECONDS: env.int(60, 1, 3600),
  /** Longest silence from a client: while it sends a request, and between requests on a kept-alive connection. */
  ROUTER_IDLE_TIMEOUT_SECONDS: env.int(60, 1, 3600),
  /** Longest silence on a WebSocket (or other upgraded) connection before it is closed. */
  ROUTER_WEBSOCKET_TIMEOUT_SECONDS: env.int(3600, 1, 86400),
  /** Largest request body (by Content-Length) the router passes on; larger ones get 413. */
  ROUTER_MAX_BODY_KB: env.int(100 * 1024, 1, 10 * 1024 * 1024),
  /** Concurrent client connections the router accepts. */
  ROUTER_MAX_CONNECTIONS: env.int(4096, 16, 100000),
  /** Full re-read of the route table from the database, a safety net under the Redis notifications. */
  ROUTER_POLL_SECONDS: env.int(10, 1, 3600),
  /** HAProxy threads; 0 lets HAProxy use one per CPU core. */
  ROUTER_THREADS: env.int(0, 0, 256),
  /** The HAProxy binary the router drives. */
  ROUTER_HAPROXY_BIN: env.string('haproxy'),
  /** Time to live given to new preview environments, in hours; 0 means they stay until deleted. */
  PREVIEW_TTL_HOURS: env.int(0, 0, 24 * 365),
  /** How often the router removes preview environments whose time to live has run out. */
  PREVIEW_SWEEP_SECONDS: env.int(60, 1, 86400),
});

export const mapRouter = (e: z.infer<typeof routerEnv>) => ({
  domain: e.BERTH_DOMAIN,
  port: e.ROUTER_PORT,
  host: e.ROUTER_HOST,
  publicPort: e.ROUTER_PUBLIC_PORT || e.ROUTER_PORT,
  publicScheme: e.ROUTER_PUBLIC_SCHEME,
  connectTimeoutSeconds: e.ROUTER_CONNECT_TIMEOUT_SECONDS,
  responseTimeoutSeconds: e.ROUTER_RESPONSE_TIMEOUT_SECONDS,
  idleTimeoutSeconds: e.ROUTER_IDLE_TIMEOUT_SECONDS,
  websocketTimeoutSeconds: e.ROUTER_WEBSOCKET_TIMEOUT_SECONDS,
  maxBodyBytes: e.ROUTER_MAX_BODY_KB * 1024,
  maxConnections: e.ROUTER_MAX_CONNECTIONS,
  pollSeconds: e.ROUTER_POLL_SECONDS,
  threads: e.ROUTER_THREADS,
  haproxyBin: e.ROUTER_HAPROXY_BIN,
  previewTtlHours: e.PREVIEW_TTL_HOURS,
  sweepSeconds: e.PREVIEW_SWEEP_SECONDS,
});
