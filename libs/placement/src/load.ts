import type { SqlQuerier } from './commit';
import { ClusterInput } from './snapshot';
import { HostState, spreadGroup } from './types';

/** Reading a ClusterSnapshot from the "Host" and "Instance" tables through an injected database. */

interface HostRow {
  id: string;
  name: string;
  version: number;
  state: HostState;
  cordoned: boolean;
  memoryMb: number;
  cpuMillis: number;
  pidsLimit: number;
  lastHeartbeatAt: Date;
}

interface InstanceRow {
  id: string;
  hostId: string;
  releaseId: string;
  processType: string;
  memoryMb: number;
  cpuMillis: number;
  pidsLimit: number;
}

const HOSTS = `SELECT id::text AS id, name, version, state::text AS state, cordoned, "memoryMb", "cpuMillis", "pidsLimit", "lastHeartbeatAt" FROM "Host" ORDER BY name`;
// An instance books its requests; rows from before requests existed (null) book their limits.
const RUNNING_INSTANCES = `SELECT id::text AS id, "hostId"::text AS "hostId", "releaseId"::text AS "releaseId", "processType",
  COALESCE("memoryRequestMb", "memoryMb") AS "memoryMb", COALESCE("cpuRequestMillis", "cpuMillis") AS "cpuMillis", "pidsLimit"
  FROM "Instance" WHERE "desiredState" = 'running' AND "hostId" IS NOT NULL`;

/**
 * Reads hosts and the instances that book capacity on them (desiredState running). A ready
 * host whose last heartbeat is older than `unreachableBefore` reads as `unreachable`: it takes
 * no new instances while its agent is away (its instances keep running and serving).
 */
export async function loadClusterInput(db: SqlQuerier, options: { unreachableBefore?: Date } = {}): Promise<ClusterInput> {
  // Hosts before instances: an instance committed in between was committed with a version
  // bump, so a plan against the versions read here fails its claim instead of overbooking.
  const hosts = await db.$queryRawUnsafe<HostRow[]>(HOSTS);
  const instances = await db.$queryRawUnsafe<InstanceRow[]>(RUNNING_INSTANCES);
  return {
    hosts: hosts.map((h) => ({
      id: h.id,
      name: h.name,
      version: Number(h.version),
      state: h.state === 'ready' && options.unreachableBefore && new Date(h.lastHeartbeatAt) < options.unreachableBefore ? 'unreachable' : h.state, cordoned: h.cordoned, capacity: { memoryMb: h.memoryMb, cpuMillis: h.cpuMillis, pidsLimit: h.pidsLimit } })),
    instances: instances.map((i) => ({ id: i.id, hostId: i.hostId, group: spreadGroup(i.releaseId, i.processType), resources: { memoryMb: i.memoryMb, cpuMillis: i.cpuMillis, pidsLimit: i.pidsLimit } })),
  };
}
