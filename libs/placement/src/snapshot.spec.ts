import { ClusterSnapshot } from './snapshot';
import { drain, place } from './stack';
import { cluster, host, res, running } from './testing';

describe('ClusterSnapshot', () => {
  it('books the running instances on their hosts, with overcommit applied to what is allocatable', () => {
    const snapshot = cluster([host('host-1', res(4096, 2000, 1000)), host('host-2')], [running('a', 'host-1', res(1024, 500, 100)), running('b', 'host-1', res(512, 250, 50))], {
      overcommit: { memoryMb: 1, cpuMillis: 1.5, pidsLimit: 2 },
    });
    const view = snapshot.host('id-host-1')!;
    expect(view.capacity).toEqual(res(4096, 2000, 1000));
    expect(view.allocatable).toEqual(res(4096, 3000, 2000));
    expect(view.booked).toEqual(res(1536, 750, 150));
    expect(view.free).toEqual(res(2560, 2250, 1850));
    expect(view.instanceCount).toBe(2);
    expect(snapshot.instancesOn('id-host-1').map((i) => i.id).sort()).toEqual(['a', 'b']);
    expect(snapshot.host('id-host-2')!.booked).toEqual(res(0, 0, 0));
  });

  it('floors allocatable capacity without losing units to binary fractions', () => {
    const snapshot = cluster([host('host-1', res(1000, 1000, 1000))], [], { overcommit: { memoryMb: 1.15, cpuMillis: 1.1, pidsLimit: 0.333 } });
    expect(snapshot.host('id-host-1')!.allocatable).toEqual(res(1150, 1100, 333));
  });

  it('refuses inconsistent input with a message naming the culprit', () => {
    expect(() => cluster([host('host-1'), host('host-1')])).toThrow('host id-host-1 appears twice');
    expect(() => cluster([host('host-1')], [running('a', 'host-9', res(1))])).toThrow('unknown host id-host-9');
    expect(() => cluster([host('host-1')], [running('a', 'host-1', res(1)), running('a', 'host-1', res(1))])).toThrow('instance a appears twice');
    expect(() => cluster([host('host-1', res(-1))])).toThrow('host host-1: memoryMb must be a number ≥ 0, got -1');
    expect(() => cluster([host('host-1')], [], { overcommit: { memoryMb: 0, cpuMillis: 1, pidsLimit: 1 } })).toThrow('overcommit ratio for memoryMb must be a positive number');
    expect(() => cluster([host('host-1')], [], { candidateLimit: 0 })).toThrow('candidateLimit');
  });

  it('is left unchanged by planning', () => {
    const snapshot = cluster([host('host-1'), host('host-2')], [running('a', 'host-1', res(1024, 1000, 10))]);
    const before = snapshot.toInput();
    const plan = place(snapshot, { group: 'env/web', resources: res(1024, 1000, 10), count: 3 });
    expect(plan.placements).toHaveLength(3);
    expect(snapshot.toInput()).toEqual(before);
    expect(snapshot.hosts().map((h) => h.booked)).toEqual([res(1024, 1000, 10), res(0, 0, 0)]);
  });

  it('moves on by applying a plan: bookings added, claimed hosts one version up, the old value retired', () => {
    const snapshot = cluster([host('host-1', res(4096, 4000, 1000), { version: 7 })]);
    const plan = place(snapshot, { group: 'env/web', resources: res(1024, 500, 100), count: 2, instanceIds: ['x', 'y'] });
    expect(plan.claims).toEqual([{ hostId: 'id-host-1', hostName: 'host-1', version: 7, adds: res(2048, 1000, 200) }]);
    const next = snapshot.apply(plan);
    expect(next.host('id-host-1')).toMatchObject({ version: 8, booked: res(2048, 1000, 200), instanceCount: 2 });
    expect(next.generation).not.toBe(plan.basis);
    expect(() => snapshot.host('id-host-1')).toThrow('superseded by apply()');
    expect(() => place(snapshot, { group: 'g', resources: res(1), count: 1 })).toThrow('superseded by apply()');
  });

  it('ends in the same state whether a plan is applied straight away or after other plans and looks', () => {
    const build = () => cluster([host('host-1'), host('host-2'), host('host-3')], [running('a', 'host-1', res(1024, 500, 10), 'env/worker')]);
    const request = { group: 'env/web', resources: res(512, 250, 10), count: 4, instanceIds: ['w1', 'w2', 'w3', 'w4'] };
    const direct = build();
    const straight = direct.apply(place(direct, request));
    const roundabout = build();
    const plan = place(roundabout, request);
    place(roundabout, { group: 'env/other', resources: res(2048, 2000, 10), count: 2 }); // planned, never applied
    roundabout.hosts();
    const after = roundabout.apply(plan);
    expect(after.toInput()).toEqual(straight.toInput());
    expect(after.hosts()).toEqual(straight.hosts());
  });

  it('lets the first of two plans made against it win; the other must plan again', () => {
    const snapshot = cluster([host('host-1', res(1024, 1000, 100))]);
    const a = place(snapshot, { group: 'a/web', resources: res(768), count: 1 });
    const b = place(snapshot, { group: 'b/web', resources: res(768), count: 1 });
    expect(b.placements).toHaveLength(1); // planned on the same free capacity as a
    const next = snapshot.apply(a);
    expect(() => snapshot.apply(b)).toThrow('superseded by apply()');
    expect(() => next.apply(b)).toThrow(/computed against snapshot \d+, not \d+/);
    expect(place(next, { group: 'b/web', resources: res(768), count: 1 }).pending).toHaveLength(1);
  });

  it('hands out frozen plans, so what is applied is what was planned', () => {
    const plan = place(cluster([host('host-1')]), { group: 'env/web', resources: res(1), count: 1 });
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.placements)).toBe(true);
    expect(Object.isFrozen(plan.placements[0])).toBe(true);
  });

  it('refuses a plan made against another snapshot, and leaves itself usable', () => {
    const a = cluster([host('host-1')]);
    const b = cluster([host('host-1')]);
    const plan = place(a, { group: 'g', resources: res(1), count: 1 });
    expect(() => b.apply(plan)).toThrow(/computed against snapshot \d+, not \d+: plan again/);
    expect(b.host('id-host-1')!.booked.memoryMb).toBe(0);
  });

  it('refuses a hand-made plan that does not fit its state without changing anything', () => {
    const snapshot = cluster([host('host-1')], [running('a', 'host-1', res(100))]);
    const bad = { ...drain(snapshot, 'id-host-1'), pending: [], removals: [{ instanceId: 'a', hostId: 'id-host-1', group: 'env/web', resources: res(100) }], placements: [{ instanceId: 'a', group: 'g', hostId: 'id-host-1', hostName: 'host-1', resources: res(1), request: 0, ordinal: 0 }, { instanceId: 'a', group: 'g', hostId: 'id-host-1', hostName: 'host-1', resources: res(1), request: 0, ordinal: 1 }] };
    expect(() => snapshot.apply(bad)).toThrow('the plan places instance a, which is already placed');
    expect(snapshot.host('id-host-1')!.booked.memoryMb).toBe(100);
  });

  it('rebuilds from its own input into an equal snapshot', () => {
    const snapshot = cluster([host('host-1', res(4096), { cordoned: true, version: 3 }), host('host-2')], [running('a', 'host-2', res(512, 100, 5), 'e/worker')]);
    const copy = ClusterSnapshot.build(snapshot.toInput(), snapshot.policy);
    expect(copy.hosts()).toEqual(snapshot.hosts());
  });
});
