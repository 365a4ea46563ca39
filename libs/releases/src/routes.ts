import { Prisma } from '@berth/db';

/** Where the router may send an environment's requests: one entry per healthy web instance. */
export interface Route {
  instanceId: string;
  releaseVersion: number;
  hostName: string;
  address: string;
  port: number;
}

/**
 * Which instances may take requests, as a query: web instances that should and do run, that
 * their agent reports healthy, with a published port on a host that is not down. The router
 * applies it to the environment's current (active) release.
 */
export const ROUTABLE_INSTANCE = {
  processType: 'web',
  desiredState: 'running',
  actualState: 'running',
  healthy: true,
  hostPort: { not: null },
  host: { state: { not: 'down' } },
} satisfies Prisma.InstanceWhereInput;

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
    releaseVersion: row.release.version,
    hostName: row.host!.name,
    address: row.host!.address,
    port: row.hostPort!,
  }));
}
