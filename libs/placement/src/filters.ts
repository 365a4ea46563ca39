import type { ClusterState } from './snapshot';
import type { Resources } from './types';

/**
 * Feasibility filters: hard rules a host must pass to take one more instance. Spreading
 * replicas is not here on purpose: it is a preference (a scorer in scorers.ts), so a replica
 * shares a host rather than stay pending when no other host fits.
 */

/** One instance to place, with what the chain needs to judge hosts for it. */
export interface Ask {
  /** What the instance books (its requests). */
  resources: Resources;
  /** Its ceilings, which the host must be able to hold at all. */
  limits: Resources;
  group: string;
  /** Hosts the request must not use (by index). */
  excluded: ReadonlySet<number>;
  /** Hosts already running this group, with how many of its instances (looked up once per request). */
  groupHosts: ReadonlyMap<number, number> | undefined;
}

export interface HostFilter {
  readonly name: string;
  passes(state: ClusterState, h: number, ask: Ask): boolean;
}

export const hostAcceptsPlacements: HostFilter = {
  name: 'ready and not cordoned',
  passes: (state, h) => state.acceptsPlacements(h),
};

export const hostNotExcluded: HostFilter = {
  name: 'not excluded',
  passes: (_, h, ask) => ask.excluded.size === 0 || !ask.excluded.has(h),
};

/** A limit the host could never honour (a 32 GiB memory limit on a 24 GiB host) rules the host out, however little is booked. */
export const limitsFit: HostFilter = {
  name: 'limits fit the host',
  passes: (state, h, ask) => ask.limits.memoryMb <= state.index.capMem[h] && ask.limits.cpuMillis <= state.index.capCpu[h] && ask.limits.pidsLimit <= state.index.capPids[h],
};

export const memoryFits: HostFilter = {
  name: 'memory fits',
  passes: (state, h, ask) => state.index.usedMem[h] + ask.resources.memoryMb <= state.index.capMem[h],
};

export const cpuFits: HostFilter = {
  name: 'CPU fits',
  passes: (state, h, ask) => state.index.usedCpu[h] + ask.resources.cpuMillis <= state.index.capCpu[h],
};

export const pidsFit: HostFilter = {
  name: 'pids fit',
  passes: (state, h, ask) => state.index.usedPids[h] + ask.resources.pidsLimit <= state.index.capPids[h],
};

/** In this order: the host checks first, so pending reasons blame availability before size. */
export const FEASIBILITY_FILTERS: readonly HostFilter[] = [hostAcceptsPlacements, hostNotExcluded, limitsFit, memoryFits, cpuFits, pidsFit];

export function feasible(state: ClusterState, h: number, ask: Ask, filters: readonly HostFilter[] = FEASIBILITY_FILTERS): boolean {
  for (const filter of filters) if (!filter.passes(state, h, ask)) return false;
  return true;
}
