import { Ask, cpuFits, FEASIBILITY_FILTERS, hostAcceptsPlacements, hostNotExcluded, memoryFits, pidsFit } from './filters';
import { ClusterSnapshot } from './snapshot';
import { place } from './stack';
import { cluster, host, res, running } from './testing';
import type { Resources } from './types';

const ask = (resources: Resources, excluded: number[] = []): Ask => ({ resources, limits: resources, group: 'env/web', excluded: new Set(excluded), groupHosts: undefined });

describe('feasibility filters', () => {
  it('host: only ready, uncordoned hosts take placements', () => {
    const snapshot = cluster([host('ready'), host('cordoned', undefined, { cordoned: true }), host('draining', undefined, { state: 'draining' }), host('down', undefined, { state: 'down' })]);
    const state = ClusterSnapshot.stateOf(snapshot);
    expect([0, 1, 2, 3].map((h) => hostAcceptsPlacements.passes(state, h, ask(res(1))))).toEqual([true, false, false, false]);
    const plan = place(snapshot, { group: 'env/web', resources: res(1), count: 5 });
    expect(new Set(plan.placements.map((p) => p.hostName))).toEqual(new Set(['ready']));
  });

  it('exclusion: a request can rule hosts out', () => {
    const state = ClusterSnapshot.stateOf(cluster([host('host-1'), host('host-2')]));
    expect(hostNotExcluded.passes(state, 0, ask(res(1), [0]))).toBe(false);
    expect(hostNotExcluded.passes(state, 1, ask(res(1), [0]))).toBe(true);
  });

  it.each([
    ['memory', memoryFits, res(1000, 10, 10), res(1, 0, 0)],
    ['CPU', cpuFits, res(10, 1000, 10), res(0, 1, 0)],
    ['pids', pidsFit, res(10, 10, 1000), res(0, 0, 1)],
  ])('%s: fits up to exactly what is free, not one unit more', (_, filter, capacity, unit) => {
    const used = { memoryMb: capacity.memoryMb === 1000 ? 600 : 0, cpuMillis: capacity.cpuMillis === 1000 ? 600 : 0, pidsLimit: capacity.pidsLimit === 1000 ? 600 : 0 };
    const state = ClusterSnapshot.stateOf(cluster([host('host-1', capacity)], [running('a', 'host-1', used)]));
    const times = (n: number) => res(unit.memoryMb * n, unit.cpuMillis * n, unit.pidsLimit * n);
    expect(filter.passes(state, 0, ask(times(400)))).toBe(true);
    expect(filter.passes(state, 0, ask(times(401)))).toBe(false);
  });

  it('overcommit: each resource may be booked up to capacity × its own ratio', () => {
    const snapshot = cluster([host('host-1', res(1000, 1000, 100))], [], { overcommit: { memoryMb: 1, cpuMillis: 3, pidsLimit: 1.5 } });
    const state = ClusterSnapshot.stateOf(snapshot);
    expect(cpuFits.passes(state, 0, ask(res(0, 3000)))).toBe(true);
    expect(cpuFits.passes(state, 0, ask(res(0, 3001)))).toBe(false);
    expect(pidsFit.passes(state, 0, ask(res(0, 0, 150)))).toBe(true);
    expect(pidsFit.passes(state, 0, ask(res(0, 0, 151)))).toBe(false);
    expect(memoryFits.passes(state, 0, ask(res(1001)))).toBe(false);
    // Six half-core instances on a one-core host: CPU overcommitted 3×, memory not at all.
    const plan = place(snapshot, { group: 'env/web', resources: res(100, 500, 10), count: 7 });
    expect(plan.placements).toHaveLength(6);
    expect(plan.pending[0].reason).toMatch(/^no host has 0.5 CPU free \(largest free: 0 CPU on host-1\)/);
  });

  it('runs the host checks before the resource checks', () => {
    expect(FEASIBILITY_FILTERS.map((f) => f.name)).toEqual(['ready and not cordoned', 'not excluded', 'limits fit the host', 'memory fits', 'CPU fits', 'pids fit']);
  });
});
