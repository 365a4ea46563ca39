/**
 * @berth/placement: which host runs each instance. Owns the pure planner and the optimistic
 * commit of its plans; the scheduler owns reading and writing instances and when to place.
 *
 *   let snapshot = await loadClusterSnapshot(prisma, config.placement);   // or ClusterSnapshot.build(input, policy)
 *   const plan = place(snapshot, { group: spreadGroup(releaseId, 'web'), resources, count: 3, instanceIds });
 *   // plan.placements: instance → host; plan.pending: instance + reason; plan.claims: host, version, what it adds
 *   await prisma.$transaction(async (tx) => { await claimHosts(tx, plan); await writeInstances(tx, plan); });
 *   snapshot = snapshot.apply(plan);                                       // or reload; on PlacementConflict, reload and plan again
 *
 * placeWithRetry() wraps load → plan → claim + write → retry. placeBatch() places several
 * requests in one plan, drain() moves a host's instances elsewhere, release() frees stopped ones.
 *
 * The snapshot looks immutable but owns a mutable capacity index, because a placement must
 * not scan 10,000 hosts and copying the index per plan would cost more than planning: planning
 * reserves capacity as it goes and gives it back before the snapshot is next looked at, and
 * apply() moves the index on in place and retires the old snapshot, so no holder ever sees a
 * snapshot change (snapshot.ts has the details).
 */
export { claimHosts, PlacementConflict, placeWithRetry, type Committed, type PlaceWithRetryOptions, type SqlExecutor, type SqlQuerier, type TransactionOptions, type Transactor } from './commit';
export { cpuFits, FEASIBILITY_FILTERS, hostAcceptsPlacements, hostNotExcluded, limitsFit, memoryFits, pidsFit, type Ask, type HostFilter } from './filters';
export { loadClusterInput, loadClusterSnapshot } from './load';
export { describeResources } from './reasons';
export { binPackCost, SCORERS, SPREAD_PENALTY, spreadCost, type HostScorer } from './scorers';
export { allocatable, ClusterSnapshot, type ClusterInput, type HostView } from './snapshot';
export { drain, place, placeBatch, release } from './stack';
export * from './types';
