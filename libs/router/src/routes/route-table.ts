/**
 * The route table: which environment answers each hostname, and where its routable instances
 * listen. Built from the database by RouteTableService; pure so it can be compared and tested.
 */

export interface Backend {
  /** `address:port`, the identity of a backend across refreshes. */
  key: string;
  address: string;
  port: number;
  instanceId: string;
  /** The instance's name, e.g. web.1 (for the router's access lines). */
  name?: string;
}

export interface EnvironmentRoute {
  id: string;
  appName: string;
  envName: string;
  production: boolean;
  /** Every hostname that reaches this environment: its Berth name, then its custom domains. */
  hostnames: string[];
  /** Routable instances, sorted by key so equal sets compare equal. */
  backends: Backend[];
}

export interface RouteTable {
  environments: Map<string, EnvironmentRoute>;
  /** Lowercase hostname → environment id. */
  hosts: Map<string, string>;
}

export function emptyRouteTable(): RouteTable {
  return { environments: new Map(), hosts: new Map() };
}

/**
 * Builds the table from environments. A Berth name always wins over a custom domain that
 * happens to equal it (domain validation prevents that; this keeps the rule explicit).
 */
export function buildRouteTable(environments: EnvironmentRoute[]): RouteTable {
  const table = emptyRouteTable();
  for (const env of environments) table.environments.set(env.id, env);
  for (const env of environments) {
    for (const [i, hostname] of env.hostnames.entries()) {
      if (i > 0 && table.hosts.has(hostname)) continue;
      table.hosts.set(hostname, env.id);
    }
  }
  return table;
}

/** Replaces some environments of a table (those in `ids`) with their fresh rows; missing ones are gone. */
export function patchRouteTable(table: RouteTable, ids: Iterable<string>, fresh: EnvironmentRoute[]): RouteTable {
  const environments = new Map(table.environments);
  for (const id of ids) environments.delete(id);
  for (const env of fresh) environments.set(env.id, env);
  return buildRouteTable([...environments.values()]);
}

/**
 * Make before break: the backends of an environment, with the previous endpoint of each
 * instance that was moved off a lost host while it still answered and is not routable at its
 * new place yet. Once the instance is routable there, its previous endpoint is dropped (the
 * route plan fills the new slot before it empties the old one). HAProxy's own check takes the
 * previous endpoint out of rotation if it stops answering meanwhile.
 */
export function withHandovers(backends: Backend[], handovers: Backend[]): Backend[] {
  const routed = new Set(backends.map((b) => b.instanceId));
  const keys = new Set(backends.map((b) => b.key));
  const kept = handovers.filter((h) => !routed.has(h.instanceId) && !keys.has(h.key));
  return [...backends, ...kept].sort((a, b) => a.key.localeCompare(b.key));
}

/** The Host header as a route key: lowercase, without port or trailing dot. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) return name; // an IPv6 literal never names an app
  name = name.replace(/:\d*$/, '').replace(/\.$/, '');
  return name;
}
