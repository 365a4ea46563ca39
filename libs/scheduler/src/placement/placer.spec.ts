import { ClusterInput, HostInput, SimplePlacer } from './placer';

const host = (name: string, memoryMb = 1000, cpuMillis = 2000, extra: Partial<HostInput> = {}): HostInput => ({
  id: name,
  name,
  version: 1,
  state: 'ready',
  cordoned: false,
  capacity: { memoryMb, cpuMillis, pidsLimit: 10000 },
  ...extra,
});
const small = { memoryMb: 100, cpuMillis: 100, pidsLimit: 100 };
const none = { memoryMb: 1, cpuMillis: 1, pidsLimit: 1 };
const asks = (n: number, group = 'env/web', resources = small) => Array.from({ length: n }, (_, i) => ({ instanceId: `${group}-${i}`, group, resources }));

describe('SimplePlacer', () => {
  const placer = new SimplePlacer();

  it('spreads replicas of one process type over distinct hosts', () => {
    const cluster: ClusterInput = { hosts: [host('a'), host('b'), host('c')], instances: [] };
    const plan = placer.plan(cluster, asks(3), none);
    expect(new Set(plan.placements.map((p) => p.hostId)).size).toBe(3);
  });

  it('packs different apps onto the fullest host that fits', () => {
    const cluster: ClusterInput = {
      hosts: [host('empty'), host('busy')],
      instances: [{ id: 'x', hostId: 'busy', group: 'other/web', resources: { memoryMb: 500, cpuMillis: 500, pidsLimit: 1 } }],
    };
    expect(placer.plan(cluster, asks(1), none).placements).toEqual([{ instanceId: 'env/web-0', hostId: 'busy' }]);
  });

  it('never books more than a host has, and says why the rest waits', () => {
    const cluster: ClusterInput = { hosts: [host('a', 250), host('b', 250)], instances: [] };
    const plan = placer.plan(cluster, asks(5), none);
    expect(plan.placements).toHaveLength(4);
    expect(plan.pending).toEqual([{ instanceId: expect.any(String), reason: expect.stringMatching(/no host has 100 MB, 0.1 CPU, 100 pids free \(most free: \w with 50 MB/) }]);
    expect(plan.claims).toEqual([{ hostId: 'a', version: 1 }, { hostId: 'b', version: 1 }]);
  });

  it('allows CPU beyond the capacity under an overcommit ratio', () => {
    const cluster: ClusterInput = { hosts: [host('a', 10000, 1000)], instances: [] };
    expect(placer.plan(cluster, asks(20), none).placements).toHaveLength(10);
    expect(placer.plan(cluster, asks(20), { memoryMb: 1, cpuMillis: 2, pidsLimit: 1 }).placements).toHaveLength(20);
  });

  it('leaves out hosts that are down, draining, cordoned or excluded', () => {
    const cluster: ClusterInput = {
      hosts: [host('down', 1000, 2000, { state: 'down' }), host('draining', 1000, 2000, { state: 'draining' }), host('cordoned', 1000, 2000, { cordoned: true }), host('ok')],
      instances: [],
    };
    const plan = placer.plan(cluster, [{ ...asks(1)[0], excludeHostIds: ['ok'] }], none);
    expect(plan.pending[0].reason).toMatch(/no host takes new instances/);
    expect(placer.plan(cluster, asks(2), none).placements.map((p) => p.hostId)).toEqual(['ok', 'ok']);
  });

  it('tells an empty cluster to start an agent', () => {
    expect(placer.plan({ hosts: [], instances: [] }, asks(1), none).pending[0].reason).toMatch(/start an agent/);
  });
});
