/**
 * @berth/placement: where instances run. A pure core — (cluster snapshot, request) → plan, see
 * stack.ts — plus the optimistic commit of a plan through an injected database (commit.ts).
 */
export { claimHosts, PlacementConflict, placeWithRetry, type Committed, type PlaceWithRetryOptions, type SqlExecutor, type SqlQuerier, type TransactionOptions, type Transactor } from './commit';
export { cpuFits, FEASIBILITY_FILTERS, hostAcceptsPlacements, hostNotExcluded, memoryFits, pidsFit, type Ask, type HostFilter } from './filters';
export { loadClusterInput, loadClusterSnapshot } from './load';
export { describeResources } from './reasons';
export { binPackCost, SCORERS, SPREAD_PENALTY, spreadCost, type HostScorer } from './scorers';
export { allocatable, ClusterSnapshot, type ClusterInput, type HostView } from './snapshot';
export { drain, place, placeBatch, release } from './stack';
export * from './types';
