import type { Ask } from './filters';
import type { ClusterState } from './snapshot';

/**
 * Scorers: costs of putting one instance on a feasible host; the pick takes the lowest total.
 * Costs rather than Nomad's higher-is-better scores only so that "fullest host" reads as
 * "least left over".
 */
export interface HostScorer {
  readonly name: string;
  cost(state: ClusterState, h: number, ask: Ask): number;
}

/**
 * Best fit on both resources: the host's free memory plus free CPU after the placement, each
 * as a fraction of the host's allocatable amount. 0 is a host filled exactly; 2 an empty one
 * taking nothing. Weighing the two together keeps a host from filling up on one resource
 * while the other sits idle.
 */
export const binPackCost: HostScorer = {
  name: 'bin-pack',
  cost(state, h, ask) {
    const { index } = state;
    const mem = index.capMem[h] > 0 ? (index.capMem[h] - index.usedMem[h] - ask.resources.memoryMb) / index.capMem[h] : 0;
    const cpu = index.capCpu[h] > 0 ? (index.capCpu[h] - index.usedCpu[h] - ask.resources.cpuMillis) / index.capCpu[h] : 0;
    return mem + cpu;
  },
};

/** Above the largest bin-pack cost: a host without a replica of the group always wins. */
export const SPREAD_PENALTY = 3;

/** Anti-affinity: each replica of the same group already on the host costs SPREAD_PENALTY. */
export const spreadCost: HostScorer = {
  name: 'spread',
  cost: (_, h, ask) => (ask.groupHosts?.get(h) ?? 0) * SPREAD_PENALTY,
};

export const SCORERS: readonly HostScorer[] = [binPackCost, spreadCost];

export function totalCost(state: ClusterState, h: number, ask: Ask, scorers: readonly HostScorer[] = SCORERS): number {
  let cost = 0;
  for (const scorer of scorers) cost += scorer.cost(state, h, ask);
  return cost;
}
