/**
 * What HAProxy should run, as pure functions: the configuration file, the hosts map, and the
 * plan that moves a running HAProxy from one route table to the next. A backend per
 * environment holds server slots; instances come and go by filling and emptying slots through
 * the runtime API, and an environment that outgrows its slots gets more the same way (`add
 * server`), so neither a rollout nor a scale-up reloads HAProxy. Only when environments appear
 * or disappear is the configuration rewritten and HAProxy reloaded seamlessly.
 */
import { join } from 'node:path';
import { RouteTable } from '../routes/route-table';
import { ACCESS_LOG_FORMAT } from './access-log';
import { renderErrorFile } from './status-pages';

export interface HaproxyOptions {
  /** Directory of the config, map, sockets and error pages (one per router). */
  dir: string;
  host: string;
  port: number;
  connectTimeoutSeconds: number;
  responseTimeoutSeconds: number;
  idleTimeoutSeconds: number;
  websocketTimeoutSeconds: number;
  maxBodyBytes: number;
  maxConnections: number;
  /** 0: one per CPU core. */
  threads: number;
  /**
   * X-Forwarded-Proto sent to apps: the scheme users reach them by (ROUTER_PUBLIC_SCHEME), so an
   * app behind a TLS-terminating balancer sees `https`. Default `http`.
   */
  forwardedProto?: 'http' | 'https';
  /** Where HAProxy sends an access line per request (the router's UDP listener, AccessLog); none when absent. */
  accessLog?: { address: string; port: number };
}

export interface ServerSlot {
  name: string;
  /** `address:port` of the instance it serves, or null when empty. */
  key: string | null;
  address: string;
  port: number;
  /** When it was emptied (a plan counter), so the slot emptied longest ago is reused first. */
  freedAt: number;
}

export interface BackendState {
  environmentId: string;
  name: string;
  slots: ServerSlot[];
}

export interface HaproxyState {
  backends: Map<string, BackendState>;
  /** Hostname → backend name, as in the hosts map. */
  hosts: Map<string, string>;
  /** Counts plans, to order freed slots. */
  tick: number;
}

export interface HaproxyPlan {
  state: HaproxyState;
  /** Rewrite the configuration and reload: environments appeared or disappeared, or slots ran out. */
  reload: boolean;
  /** Runtime API commands that apply the plan without a reload (empty when reloading). */
  commands: string[];
}

export const UNKNOWN_BACKEND = 'berth_unknown';
export const HANDOVER_BACKEND = 'berth_handover';
const PLACEHOLDER = { address: '127.0.0.1', port: 1 };

export const paths = (dir: string) => ({
  config: join(dir, 'haproxy.cfg'),
  hostsMap: join(dir, 'hosts.map'),
  adminSocket: join(dir, 'admin.sock'),
  statusSocket: join(dir, 'status.sock'),
  handoverSocket: join(dir, 'handover.sock'),
  pidFile: join(dir, 'haproxy.pid'),
  errorFile: (status: number) => join(dir, 'errors', `${status}.http`),
});

export const backendName = (environmentId: string) => `env_${environmentId}`;

/**
 * Slots a backend starts with at a reload: room for the instances plus as many again, so a
 * rollout (old and new side by side) fits as it is; one for an environment with nothing
 * running, enough for its first instance. Kept small because every slot costs HAProxy memory
 * (about 6 kB a server with two threads) and a file descriptor it reserves for its health
 * check: HAProxy refuses to start when maxconn × 2 plus its checked servers exceed the
 * process's nofile limit (20,000 here), which four slots each reached at about 2,900
 * environments. Slots beyond these are added at run time when needed (planRoutes).
 */
export function slotCount(instances: number): number {
  if (instances === 0) return 1;
  let n = 2;
  while (n < instances * 2) n *= 2;
  return n;
}

function emptySlots(count: number): ServerSlot[] {
  return Array.from({ length: count }, (_, i) => ({ name: `s${i + 1}`, key: null, ...PLACEHOLDER, freedAt: 0 }));
}

/** A fresh state for a table, as a reload starts it. */
export function initialState(table: RouteTable, tick = 0): HaproxyState {
  const backends = new Map<string, BackendState>();
  for (const env of table.environments.values()) {
    const slots = emptySlots(slotCount(env.backends.length));
    env.backends.forEach((backend, i) => Object.assign(slots[i], { key: backend.key, address: backend.address, port: backend.port }));
    backends.set(env.id, { environmentId: env.id, name: backendName(env.id), slots });
  }
  const hosts = new Map([...table.hosts].map(([host, id]) => [host, backendName(id)]));
  return { backends, hosts, tick };
}

/** What to do to make HAProxy, now in `current` (null: not running), serve `table`. */
export function planRoutes(current: HaproxyState | null, table: RouteTable): HaproxyPlan {
  const tick = (current?.tick ?? 0) + 1;
  const sameEnvironments =
    current !== null && current.backends.size === table.environments.size && [...table.environments.keys()].every((id) => current.backends.has(id));
  if (!sameEnvironments) return { state: initialState(table, tick), reload: true, commands: [] };

  const enable: string[] = [];
  const disable: string[] = [];
  const backends = new Map<string, BackendState>();
  for (const env of table.environments.values()) {
    const before = current.backends.get(env.id)!;
    const slots = before.slots.map((slot) => ({ ...slot }));
    const wanted = new Map(env.backends.map((b) => [b.key, b]));
    const freedNow = new Set<string>();
    for (const slot of slots) {
      if (slot.key !== null && !wanted.has(slot.key)) {
        freedNow.add(slot.name);
        Object.assign(slot, { key: null, freedAt: tick });
      }
    }
    const placed = new Set(slots.map((s) => s.key).filter(Boolean));
    const free = slots.filter((s) => s.key === null).sort((a, b) => a.freedAt - b.freedAt);
    const missing = env.backends.filter((b) => !placed.has(b.key));
    missing.forEach((backend, i) => {
      let slot = free[i];
      if (!slot) {
        // Outgrown: a new slot through the runtime API (added in maintenance, its health
        // check off until enabled), kept until the next reload lays the backend out afresh.
        slot = { name: `s${slots.length + 1}`, key: null, ...PLACEHOLDER, freedAt: 0 };
        slots.push(slot);
        // Its check starts from "down" (two good checks to rise): the agent found the instance
        // healthy, so it is marked up at once and takes traffic like a refilled slot.
        enable.push(
          `add server ${before.name}/${slot.name} ${backend.address}:${backend.port} ${SERVER_CHECK}`,
          `enable health ${before.name}/${slot.name}`,
          `set server ${before.name}/${slot.name} health up`,
        );
      } else {
        enable.push(`set server ${before.name}/${slot.name} addr ${backend.address} port ${backend.port}`);
      }
      Object.assign(slot, { key: backend.key, address: backend.address, port: backend.port });
      enable.push(`set server ${before.name}/${slot.name} state ready`);
      // A slot freed and refilled in this same plan only changes address: putting it in
      // maintenance after (old ones stop after new ones start) would take the new one out.
      freedNow.delete(slot.name);
    });
    for (const name of freedNow) disable.push(`set server ${before.name}/${name} state maint`);
    backends.set(env.id, { ...before, slots });
  }

  const mapFile = '__HOSTS_MAP__';
  const hosts = new Map([...table.hosts].map(([host, id]) => [host, backendName(id)]));
  const mapCommands: string[] = [];
  for (const [host, backend] of hosts) {
    const was = current.hosts.get(host);
    if (was === undefined) mapCommands.push(`add map ${mapFile} ${host} ${backend}`);
    else if (was !== backend) mapCommands.push(`set map ${mapFile} ${host} ${backend}`);
  }
  for (const host of current.hosts.keys()) if (!hosts.has(host)) mapCommands.push(`del map ${mapFile} ${host}`);

  // New instances take traffic before old ones stop taking it: a backend never goes empty
  // in between (it would answer from the 503 page for that moment).
  return { state: { backends, hosts, tick }, reload: false, commands: [...enable, ...disable, ...mapCommands] };
}

/**
 * What HAProxy's runtime API refused, from its answer to a batch of commands: `set server …
 * addr` reports success in words ("IP changed from …", "no need to change the addr, port
 * changed from …"), so only other non-empty lines are refusals ("No such server.",
 * "Invalid addr …").
 */
export function runtimeApiRefusals(answer: string): string[] {
  const changed = /^(IP changed from '[^']*' to '[^']*'|no need to change the addr)(, (port changed from '\d+' to '\d+'|no need to change the port))? by '[^']*'$/;
  return answer
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !changed.test(line) && line !== 'New server registered.');
}

/** Fills in the hosts map path of a plan's commands. */
export function withMapPath(commands: string[], dir: string): string[] {
  return commands.map((c) => c.replace('__HOSTS_MAP__', paths(dir).hostsMap));
}

export function renderHostsMap(state: HaproxyState): string {
  return [...state.hosts].map(([host, backend]) => `${host} ${backend}\n`).join('');
}

/**
 * HAProxy checks every instance itself (a TCP connect every 2 s): one that stops answering
 * leaves the rotation after two failed checks and returns after two good ones, whatever the
 * control plane believes. So instances keep taking traffic while their agent or the
 * scheduler is away, and a dead one stops taking it before anyone notices. A slot filled
 * through the runtime API takes traffic at once (the agent found it healthy) and is checked
 * from then on.
 */
export const SERVER_CHECK = 'check inter 2s fall 2 rise 2';

/** Statuses HAProxy answers itself; each gets a page written by writeErrorPages. */
export const ERROR_STATUSES = [400, 408, 413, 500, 502, 503, 504] as const;

export function renderHaproxyConfig(options: HaproxyOptions, state: HaproxyState): string {
  const p = paths(options.dir);
  const lines = [
    '# Written by the Berth router at every reload; edits are overwritten.',
    'global',
    `  maxconn ${options.maxConnections}`,
    ...(options.threads > 0 ? [`  nbthread ${options.threads}`] : []),
    `  stats socket ${p.adminSocket} mode 600 level admin expose-fd listeners`,
    '  log stderr format raw local0 warning',
    // An old process after a reload keeps serving its open connections (WebSockets, slow
    // downloads) for at most this long.
    `  hard-stop-after ${Math.max(60, Math.min(options.websocketTimeoutSeconds, 900))}s`,
    '',
    'defaults',
    '  mode http',
    // No access log here: the frontend sends one to the router (ACCESS_LOG_FORMAT) when it listens.
    '  option http-keep-alive',
    // During a reload the old process answers a kept-alive client's next request (with
    // Connection: close) instead of closing under it: no reset for a client mid-send.
    '  option idle-close-on-response',
    '  option redispatch 1',
    '  retries 2',
    // A connection refused by an instance that has just stopped is retried on another one.
    '  retry-on conn-failure empty-response',
    `  timeout connect ${options.connectTimeoutSeconds}s`,
    `  timeout queue ${options.connectTimeoutSeconds}s`,
    `  timeout client ${options.idleTimeoutSeconds}s`,
    `  timeout http-request ${options.idleTimeoutSeconds}s`,
    `  timeout http-keep-alive ${options.idleTimeoutSeconds}s`,
    `  timeout server ${options.responseTimeoutSeconds}s`,
    `  timeout tunnel ${options.websocketTimeoutSeconds}s`,
    '  timeout client-fin 5s',
    '  timeout server-fin 5s',
    ...ERROR_STATUSES.map((status) => `  errorfile ${status} ${p.errorFile(status)}`),
    '',
    'frontend berth',
    `  bind ${options.host}:${options.port}`,
    // Where processes left over from a reload hand requests on (see HANDOVER_BACKEND).
    `  bind unix@${p.handoverSocket} mode 600 accept-proxy`,
    // One line per request to the router's listener: the environment's router lines and request metrics.
    ...(options.accessLog
      ? [`  log ${options.accessLog.address}:${options.accessLog.port} len 8192 format raw local0 info`, `  log-format "${ACCESS_LOG_FORMAT}"`, '  option dontlognull']
      : []),
    // Rules are ordered and conditioned so the common request pays for the fewest steps.
    '  http-request set-var(txn.host) req.hdr(host),field(1,:),lower',
    '  http-request set-var(txn.host) var(txn.host),regsub([.]$,) if { var(txn.host) -m end . }',
    // A request id the client sent is kept when it is one plain token; anything else is replaced.
    '  http-request del-header x-request-id if { req.hdr_cnt(x-request-id) gt 1 } || { req.hdr(x-request-id) -m found } !{ req.hdr(x-request-id) -m reg ^[-A-Za-z0-9._:@+=/]{8,200}$ }',
    '  http-request set-header x-request-id %[uuid(4)] unless { req.hdr(x-request-id) -m found }',
    '  http-request set-var(txn.request_id) req.hdr(x-request-id)',
    `  http-request set-header x-forwarded-proto ${options.forwardedProto ?? 'http'}`,
    '  http-request set-header x-forwarded-host %[req.hdr(host)]',
    `  http-request deny deny_status 413 if { req.hdr_val(content-length) gt ${options.maxBodyBytes} }`,
    '  http-after-response set-header x-request-id %[var(txn.request_id)]',
    // A process left over from a reload still answers the next request of each kept-alive
    // client (idle-close-on-response), but its routes froze at the reload: runtime API changes
    // since then (a rollout, a new domain) reached only the current process, so it hands the
    // request to that one, which alone accepts new connections.
    `  use_backend ${HANDOVER_BACKEND} if { stopping }`,
    `  use_backend %[var(txn.host),map(${p.hostsMap},${UNKNOWN_BACKEND})]`,
    `  default_backend ${UNKNOWN_BACKEND}`,
    '',
    // Unknown hosts, and environments with nothing running, reach the router's own status
    // pages (404 and 503 with the reason).
    `backend ${UNKNOWN_BACKEND}`,
    `  server status ${p.statusSocket}`,
    '',
    // PROXY protocol: the current process sees the client's own address (and adds it to
    // X-Forwarded-For, once: only environments' backends add that header).
    `backend ${HANDOVER_BACKEND}`,
    `  server current unix@${p.handoverSocket} send-proxy-v2`,
  ];
  for (const backend of state.backends.values()) {
    lines.push('', `backend ${backend.name}`, '  balance roundrobin', '  option forwardfor', `  server status ${p.statusSocket} backup`);
    for (const slot of backend.slots) {
      lines.push(`  server ${slot.name} ${slot.address}:${slot.port} ${SERVER_CHECK}${slot.key === null ? ' disabled' : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Every file HAProxy reads, by path: configuration, hosts map, error pages. */
export function haproxyFiles(options: HaproxyOptions, state: HaproxyState): Record<string, string> {
  const p = paths(options.dir);
  const files: Record<string, string> = { [p.config]: renderHaproxyConfig(options, state), [p.hostsMap]: renderHostsMap(state) };
  for (const status of ERROR_STATUSES) files[p.errorFile(status)] = renderErrorFile(status);
  return files;
}
