import { drain, place, placeBatch } from './stack';
import { cluster, host, res, running } from './testing';

const web = (count: number, memoryMb = 512, extra = {}) => ({ group: 'env-1/web', resources: res(memoryMb, 250, 50), count, ...extra });
const hostsOf = (plan: { placements: readonly { hostName: string }[] }) => plan.placements.map((p) => p.hostName);

describe('place', () => {
  it('yields one placement per replica, with the claims the commit needs', () => {
    const snapshot = cluster([host('host-1', res(4096, 4000, 1000), { version: 4 }), host('host-2', res(4096, 4000, 1000), { version: 9 })]);
    const plan = place(snapshot, web(2, 512, { instanceIds: ['i-1', 'i-2'] }));
    expect(plan.pending).toEqual([]);
    expect(plan.placements.map((p) => [p.instanceId, p.ordinal, p.request])).toEqual([['i-1', 0, 0], ['i-2', 1, 0]]);
    expect(plan.claims.map((c) => [c.hostName, c.version, c.adds])).toEqual([
      ['host-1', 4, res(512, 250, 50)],
      ['host-2', 9, res(512, 250, 50)],
    ]);
    expect(plan.basis).toBe(snapshot.generation);
  });

  it('spreads replicas of a group over distinct hosts even though packing would stack them', () => {
    const plan = place(cluster([host('host-1'), host('host-2'), host('host-3')]), web(3));
    expect(new Set(hostsOf(plan)).size).toBe(3);
  });

  it('counts replicas already running when spreading', () => {
    const snapshot = cluster([host('host-1'), host('host-2'), host('host-3')], [running('a', 'host-1', res(512), 'env-1/web'), running('b', 'host-2', res(256), 'env-1/web')]);
    expect(hostsOf(place(snapshot, web(1)))).toEqual(['host-3']);
    // Another group is free to pack onto the fullest host.
    expect(hostsOf(place(snapshot, { ...web(1), group: 'env-2/web' }))).toEqual(['host-1']);
  });

  it('shares a host rather than leave a replica pending, and shares evenly', () => {
    const plan = place(cluster([host('host-1'), host('host-2')]), web(5));
    expect(plan.pending).toEqual([]);
    const counts = hostsOf(plan).reduce((m, h) => m.set(h, (m.get(h) ?? 0) + 1), new Map<string, number>());
    expect([...counts.values()].sort()).toEqual([2, 3]);
  });

  it('prefers a shared host that fits over a free one that does not', () => {
    const snapshot = cluster([host('big', res(8192, 8000, 1000)), host('small', res(256, 250, 1000))], [running('a', 'big', res(512), 'env-1/web')]);
    expect(hostsOf(place(snapshot, web(1)))).toEqual(['big']);
  });

  it('keeps the instances that fit nowhere pending with the reason, after placing those that fit', () => {
    const plan = place(cluster([host('host-1', res(1024, 4000, 1000)), host('host-2', res(1024, 4000, 1000))]), web(5));
    expect(plan.placements).toHaveLength(4);
    expect(plan.pending.map((p) => p.ordinal)).toEqual([4]);
    expect(plan.pending[0].reason).toBe('no host has 512 MiB of memory free (largest free: 0 MiB on host-1); add a host or ask for less');
  });

  it('excludes hosts a request rules out', () => {
    const snapshot = cluster([host('host-1'), host('host-2')], [running('a', 'host-1', res(2048), 'other/web')]);
    expect(hostsOf(place(snapshot, web(2, 512, { excludeHostIds: ['id-host-1'] })))).toEqual(['host-2', 'host-2']);
    const none = place(snapshot, web(1, 512, { excludeHostIds: ['id-host-1', 'id-host-2'] }));
    expect(none.pending[0].reason).toBe('all 2 hosts are excluded; placement resumes when one is ready and uncordoned');
  });

  it('refuses malformed requests', () => {
    const snapshot = cluster([host('host-1')], [running('a', 'host-1', res(1))]);
    expect(() => place(snapshot, web(1.5))).toThrow('request 0 (env-1/web): count must be a whole number ≥ 0, got 1.5');
    expect(() => place(snapshot, web(2, 512, { instanceIds: ['x'] }))).toThrow('1 instance ids for 2 instances');
    expect(() => place(snapshot, web(1, 512, { instanceIds: ['a'] }))).toThrow('instance a is already placed on host-1');
    expect(() => place(snapshot, web(2, 512, { instanceIds: ['x', 'x'] }))).toThrow('instance x appears twice in the requests');
    expect(() => place(snapshot, web(1, Number.NaN))).toThrow('memoryMb must be a number ≥ 0, got NaN');
  });

  it('places nothing for a count of zero', () => {
    expect(place(cluster([host('host-1')]), web(0))).toMatchObject({ placements: [], pending: [], claims: [] });
  });
});

describe('placeBatch', () => {
  it('places several process types in one plan, in the order given, naming each by its request index', () => {
    // A 2 GiB and a 3 GiB host: 2 × 1.5 GiB and 4 × 0.5 GiB fill them exactly, if the big ones choose first.
    const snapshot = cluster([host('host-1', res(2048, 8000, 1000)), host('host-2', res(3072, 8000, 1000))]);
    const workers = { group: 'env-1/worker', resources: res(1536, 100, 10), count: 2 };
    const webs = { group: 'env-1/web', resources: res(512, 100, 10), count: 4 };
    const bigFirst = placeBatch(snapshot, [workers, webs]);
    expect(bigFirst.pending).toEqual([]);
    expect(bigFirst.placements.map((p) => p.request)).toEqual([0, 0, 1, 1, 1, 1]);
    expect(bigFirst.claims.map((c) => c.adds.memoryMb).reduce((a, b) => a + b)).toBe(5120);
    // Small ones first spread over both hosts and leave no room for the second worker.
    const smallFirst = placeBatch(snapshot, [webs, workers]);
    expect(smallFirst.pending.map((p) => [p.request, p.ordinal])).toEqual([[1, 1]]);
  });

  it('sees its own earlier placements: never books a host twice over', () => {
    const plan = placeBatch(cluster([host('host-1', res(1024, 8000, 1000))]), [web(1, 768), { ...web(1, 768), group: 'env-2/web' }]);
    expect(plan.placements).toHaveLength(1);
    expect(plan.pending).toHaveLength(1);
    expect(plan.pending[0].request).toBe(1);
  });
});

describe('drain', () => {
  const fleet = () =>
    cluster(
      [host('host-1'), host('host-2'), host('host-3')],
      [running('a', 'host-1', res(1024), 'env-1/web'), running('b', 'host-1', res(512), 'env-2/web'), running('c', 'host-2', res(2048), 'env-1/web')],
    );

  it('moves every instance of the host elsewhere under the same id, spreading as usual', () => {
    const snapshot = fleet();
    const plan = drain(snapshot, 'id-host-1');
    expect(plan.pending).toEqual([]);
    expect(plan.removals.map((r) => [r.instanceId, r.hostId]).sort()).toEqual([['a', 'id-host-1'], ['b', 'id-host-1']]);
    const moved = Object.fromEntries(plan.placements.map((p) => [p.instanceId, [p.hostName, p.movedFrom]]));
    // a's sibling c runs on host-2, so a goes to host-3; b packs onto the fuller host-2.
    expect(moved).toEqual({ a: ['host-3', 'id-host-1'], b: ['host-2', 'id-host-1'] });
    const next = snapshot.apply(plan);
    expect(next.host('id-host-1')!.instanceCount).toBe(0);
    expect(next.host('id-host-1')!.booked.memoryMb).toBe(0);
    expect(next.instancesOn('id-host-3').map((i) => i.id)).toEqual(['a']);
  });

  it('works for a host that is down, and leaves what fits nowhere on it, pending', () => {
    const snapshot = cluster(
      [host('host-1', res(4096), { state: 'down' }), host('host-2', res(1024))],
      [running('big', 'host-1', res(2048)), running('small', 'host-1', res(512))],
    );
    const plan = drain(snapshot, 'id-host-1');
    expect(plan.placements.map((p) => p.instanceId)).toEqual(['small']);
    expect(plan.removals.map((r) => r.instanceId)).toEqual(['small']);
    expect(plan.pending).toEqual([expect.objectContaining({ instanceId: 'big', reason: expect.stringMatching(/^no host has 2048 MiB of memory free \(largest free: 1024 MiB on host-2\).*\(1 more host is down\)$/) })]);
    expect(snapshot.apply(plan).instancesOn('id-host-1').map((i) => i.id)).toEqual(['big']);
  });

  it('honours extra exclusions', () => {
    const plan = drain(fleet(), 'id-host-1', { excludeHostIds: ['id-host-3'] });
    expect(new Set(hostsOf(plan))).toEqual(new Set(['host-2']));
  });

  it("sends no instance to a host smaller than its limits, even where its booking fits", () => {
    const snapshot = cluster([host('host-1'), host('host-2', res(1024)), host('host-3', res(4096))], [running('a', 'host-1', res(512))]);
    expect(drain(snapshot, 'id-host-1').placements.map((p) => p.hostName)).toEqual(['host-2']);
    const plan = drain(snapshot, 'id-host-1', { limits: new Map([['a', res(2048)]]) });
    expect(plan.placements.map((p) => p.hostName)).toEqual(['host-3']);
  });
});

