import type { Ask } from './filters';
import { binPackCost, SPREAD_PENALTY, spreadCost } from './scorers';
import { ClusterSnapshot } from './snapshot';
import { place } from './stack';
import { cluster, host, res, running } from './testing';

const ask = (memoryMb: number, cpuMillis: number, groupHosts?: Map<number, number>): Ask => ({ resources: res(memoryMb, cpuMillis), limits: res(memoryMb, cpuMillis), group: 'env/web', excluded: new Set(), groupHosts });

describe('scorers', () => {
  it('bin-pack: the normalised memory plus CPU a host has left after the placement', () => {
    const state = ClusterSnapshot.stateOf(cluster([host('host-1', res(1000, 2000, 100))], [running('a', 'host-1', res(250, 1000))]));
    // Left after 250 MiB and 500 millicores: 500/1000 memory + 500/2000 CPU.
    expect(binPackCost.cost(state, 0, ask(250, 500))).toBeCloseTo(0.75);
    expect(binPackCost.cost(state, 0, ask(750, 1000))).toBe(0);
  });

  it('bin-pack: measures against allocatable capacity, overcommit included', () => {
    const state = ClusterSnapshot.stateOf(cluster([host('host-1', res(1000, 1000, 100))], [], { overcommit: { memoryMb: 1, cpuMillis: 2, pidsLimit: 1 } }));
    expect(binPackCost.cost(state, 0, ask(500, 1000))).toBeCloseTo(0.5 + 0.5);
  });

  it('spread: a penalty per replica of the group already on the host, larger than any bin-pack difference', () => {
    const state = ClusterSnapshot.stateOf(cluster([host('host-1'), host('host-2')]));
    const groupHosts = new Map([[0, 2]]);
    expect(spreadCost.cost(state, 0, ask(1, 1, groupHosts))).toBe(2 * SPREAD_PENALTY);
    expect(spreadCost.cost(state, 1, ask(1, 1, groupHosts))).toBe(0);
    expect(SPREAD_PENALTY).toBeGreaterThan(2); // bin-pack costs lie in [0, 2]
  });

  it('places on the fullest host that fits', () => {
    const snapshot = cluster(
      [host('empty'), host('half'), host('nearly-full')],
      [running('a', 'half', res(2048, 2000), 'other/web'), running('b', 'nearly-full', res(3584, 3500), 'other/web')],
    );
    expect(place(snapshot, { group: 'env/web', resources: res(256, 250), count: 1 }).placements[0].hostName).toBe('nearly-full');
    // Too big for the nearly full host: the next fullest.
    expect(place(snapshot, { group: 'env/web', resources: res(1024, 1000), count: 1 }).placements[0].hostName).toBe('half');
  });

  it('weighs memory and CPU together: fullest overall, not fullest in one resource', () => {
    // memory-full: 10% memory and 90% CPU free (sum 1.0); balanced: 40% and 40% (sum 0.8).
    const snapshot = cluster(
      [host('memory-full', res(1000, 1000, 100)), host('balanced', res(1000, 1000, 100))],
      [running('a', 'memory-full', res(900, 100), 'other/web'), running('b', 'balanced', res(600, 600), 'other/web')],
    );
    expect(place(snapshot, { group: 'env/web', resources: res(50, 50), count: 1 }).placements[0].hostName).toBe('balanced');
  });
});
