/**
 * @berth/placement: which host runs each instance. Owns the pure planner and the optimistic
 * commit of its plans; the scheduler owns reading and writing instances and when to place.
 *
 *   const snapshot = ClusterSnapshot.build(await loadClusterInput(prisma), config.placement);
 *   const plan = place(snapshot, { group: spreadGroup(releaseId, 'web'), resources, count: 3, instanceIds });
 *   // plan.placements: instance → host; plan.pending: instance + reason; plan.claims: host, version, what it adds
 *   await prisma.$transaction(async (tx) => { await claimHosts(tx, plan); await writeInstances(tx, plan); });
 *
 * placeWithRetry() is the one way to commit: load → plan → claim + write, again on a conflict.
 * placeBatch() places several requests in one plan; drain() is the one way to move a host's
 * instances elsewhere. snapshot.apply(plan) moves a snapshot on without reading again (the
 * benchmark plans streams that way).
 *
 * The snapshot looks immutable but owns a mutable capacity index, because a placement must
 * not scan 10,000 hosts and copying the index per plan would cost more than planning: planning
 * reserves capacity as it goes and gives it back before the snapshot is next looked at, and
 * apply() moves the index on in place and retires the old snapshot, so no holder ever sees a
 * snapshot change (snapshot.ts has the details).
 */
export { claimHosts, PlacementConflict, placeWithRetry, type Committed, type PlaceWithRetryOptions, type SqlExecutor, type SqlQuerier, type TransactionOptions, type Transactor } from './commit';
export { loadClusterInput } from './load';
export { allocatable, ClusterSnapshot, type ClusterInput, type HostView } from './snapshot';
export { drain, place, placeBatch, type DrainOptions } from './stack';
export * from './types';
