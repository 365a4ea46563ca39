import { Prisma } from '@berth/db';

/** Where the router may send an environment's requests: one entry per healthy web instance. */
export interface Route {
  instanceId: string;
  /** The instance's name in logs: `web.1`. */
  name: string;
  releaseVersion: number;
  hostName: string;
  address: string;
  port: number;
}

/**
 * Which instances may take requests, as a query: web instances that should and do run, that
 * their agent reports healthy, with a published port on a host that is not down. The router
 * applies it to the environment's current (active) release.
 *
 * A host whose agent went silent is not down while its instances still answer (the scheduler
 * marks it down on evidence they are gone, see SchedulerLoop.markSilentHostsDown), so its
 * instances stay routable meanwhile. isRoutable is the same rule on a row already read.
 */
export const ROUTABLE_INSTANCE = {
  processType: 'web',
  desiredState: 'running',
  actualState: 'running',
  healthy: true,
  hostPort: { not: null },
  host: { state: { not: 'down' } },
} satisfies Prisma.InstanceWhereInput;

/** The fields of an instance that decide whether it is routable. */
export interface RoutableFacts {
  processType: string;
  desiredState: string;
  actualState: string;
  healthy: boolean;
  hostPort: number | null;
  host: { state: string } | null;
}

/** ROUTABLE_INSTANCE on a row already read (select the fields of RoutableFacts, host's state included). */
export function isRoutable(i: RoutableFacts): boolean {
  return (
    i.processType === ROUTABLE_INSTANCE.processType &&
    i.desiredState === ROUTABLE_INSTANCE.desiredState &&
    i.actualState === ROUTABLE_INSTANCE.actualState &&
    i.healthy === ROUTABLE_INSTANCE.healthy &&
    i.hostPort !== null &&
    i.host !== null &&
    i.host.state !== ROUTABLE_INSTANCE.host.state.not
  );
}

/** What to select for isRoutable. */
export const ROUTABLE_FACTS = {
  processType: true,
  desiredState: true,
  actualState: true,
  healthy: true,
  hostPort: true,
  host: { select: { state: true } },
} satisfies Prisma.InstanceSelect;

/**
 * A rollout's instance is ready when it runs and, for a web instance, is routable: the
 * release becomes current only once the router can send it requests.
 */
export function isReady(i: RoutableFacts): boolean {
  return i.processType === 'web' ? isRoutable(i) : i.actualState === 'running';
}

/**
 * The routable instances of an environment: web instances of its current (active) release
 * that their agent reports running and healthy, on a host that is not down. The rollout
 * marks a release active only once its instances are healthy, and stops the old ones only
 * after ROLLOUT_DRAIN_SECONDS, so following this set (on every `routes` notification)
 * switches traffic with no gap.
 */
export async function routableInstances(db: Prisma.TransactionClient, environmentId: string): Promise<Route[]> {
  const rows = await db.instance.findMany({
    where: { environmentId, ...ROUTABLE_INSTANCE, release: { status: 'active' } },
    include: { host: true, release: { select: { version: true } } },
    orderBy: { index: 'asc' },
  });
  return rows.map((row) => ({
    instanceId: row.id,
    name: `${row.processType}.${row.index}`,
    releaseVersion: row.release.version,
    hostName: row.host!.name,
    address: row.host!.address,
    port: row.hostPort!,
  }));
}
