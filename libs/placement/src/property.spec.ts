import { ClusterSnapshot, HostView } from './snapshot';
import { drain, place, placeBatch } from './stack';
import { cluster, res, seeded } from './testing';
import type { HostInput, InstanceInput, PlacementPlan, PlacementRequest, Resources } from './types';

/**
 * Property tests: random clusters (mixed host sizes, states, overcommit ratios, grid
 * resolutions) take random streams of placements, batches and drains. A brute-force
 * model of the rules checks every plan.
 */

const KEYS = ['memoryMb', 'cpuMillis', 'pidsLimit'] as const;
const fits = (free: Resources, need: Resources) => KEYS.every((k) => free[k] >= need[k]);
const minus = (a: Resources, b: Resources): Resources => res(a.memoryMb - b.memoryMb, a.cpuMillis - b.cpuMillis, a.pidsLimit - b.pidsLimit);
const takesPlacements = (h: HostView) => h.state === 'ready' && !h.cordoned;

interface World {
  snapshot: ClusterSnapshot;
  random: () => number;
  exact: boolean;
}

function randomWorld(seed: number): World {
  const random = seeded(seed);
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)];
  const hosts: HostInput[] = Array.from({ length: 1 + Math.floor(random() * 30) }, (_, i) => ({
    id: `h${i}`,
    name: `host-${i}`,
    version: Math.floor(random() * 5),
    state: pick(['ready', 'ready', 'ready', 'ready', 'ready', 'ready', 'draining', 'down']),
    cordoned: random() < 0.1,
    capacity: res(pick([1024, 2048, 4096, 16384]), pick([1000, 2000, 8000]), pick([200, 1000, 4096])),
  }));
  const overcommit = { memoryMb: pick([1, 1, 1.25]), cpuMillis: pick([1, 2, 4]), pidsLimit: pick([1, 1.5]) };
  const exact = random() < 0.5;
  // Existing instances, only where they fit, so every host starts within capacity.
  const empty = ClusterSnapshot.build({ hosts, instances: [] }, { overcommit });
  const free = new Map(empty.hosts().map((h) => [h.id, { ...h.free }]));
  const instances: InstanceInput[] = [];
  for (let i = 0; i < hosts.length * 3; i++) {
    const h = pick(hosts);
    const resources = randomSize(random);
    if (!fits(free.get(h.id)!, resources)) continue;
    free.set(h.id, minus(free.get(h.id)!, resources));
    instances.push({ id: `old-${i}`, hostId: h.id, group: `env-${Math.floor(random() * 6)}/web`, resources });
  }
  const snapshot = cluster(hosts, instances, { overcommit, candidateLimit: exact ? 1_000_000 : 1 + Math.floor(random() * 8) }, pick([1, 2, 3, 8, 64]));
  return { snapshot, random, exact };
}

function randomSize(random: () => number): Resources {
  return res(64 * (1 + Math.floor(random() * 48)), 50 * (1 + Math.floor(random() * 60)), 10 * (1 + Math.floor(random() * 60)));
}

function randomRequest(random: () => number): PlacementRequest {
  return { group: `env-${Math.floor(random() * 6)}/web`, resources: randomSize(random), count: 1 + Math.floor(random() * 6), excludeHostIds: random() < 0.2 ? [`h${Math.floor(random() * 10)}`] : undefined };
}

/** Replays a plan on a model of the snapshot, checking each placement against the rules as they stood at that moment. */
function checkPlan(world: World, plan: PlacementPlan, requests: PlacementRequest[], drained?: string): void {
  const views = new Map(world.snapshot.hosts().map((h) => [h.id, h]));
  const free = new Map([...views].map(([id, h]) => [id, { ...h.free }]));
  const groupsOn = new Map<string, Map<string, number>>();
  const addGroup = (group: string, hostId: string, n: number) => {
    const hosts = groupsOn.get(group) ?? new Map<string, number>();
    hosts.set(hostId, (hosts.get(hostId) ?? 0) + n);
    groupsOn.set(group, hosts);
  };
  for (const i of world.snapshot.toInput().instances) addGroup(i.group, i.hostId, 1);

  for (const removal of plan.removals) {
    expect(removal.hostId).toBe(drained);
  }
  for (const p of plan.placements) {
    const request = drained ? undefined : requests[p.request];
    const excluded = new Set([...(request?.excludeHostIds ?? []), ...(drained ? [drained] : [])]);
    const eligible = [...views.values()].filter((h) => takesPlacements(h) && !excluded.has(h.id) && fits(free.get(h.id)!, p.resources));
    const target = views.get(p.hostId)!;
    expect(eligible).toContain(target);
    // Spreading: a host already running the group only if no other eligible host was free of it.
    const collisions = (h: HostView) => groupsOn.get(p.group)?.get(h.id) ?? 0;
    const fewest = Math.min(...eligible.map(collisions));
    expect(collisions(target)).toBe(fewest);
    if (world.exact) {
      // With no candidate limit, the pick is the exact best fit among hosts with the fewest replicas.
      const cost = (h: HostView) => (h.allocatable.memoryMb ? (free.get(h.id)!.memoryMb - p.resources.memoryMb) / h.allocatable.memoryMb : 0) + (h.allocatable.cpuMillis ? (free.get(h.id)!.cpuMillis - p.resources.cpuMillis) / h.allocatable.cpuMillis : 0);
      const best = Math.min(...eligible.filter((h) => collisions(h) === fewest).map(cost));
      expect(cost(target)).toBeCloseTo(best, 9);
    }
    if (p.movedFrom) addGroup(p.group, p.movedFrom, -1);
    free.set(p.hostId, minus(free.get(p.hostId)!, p.resources));
    addGroup(p.group, p.hostId, 1);
  }
  // Pending only when nothing eligible fits (checked for single requests, where the state at the failure is the final one).
  if (!drained && requests.length === 1) {
    for (const pending of plan.pending) {
      const excluded = new Set(requests[0].excludeHostIds ?? []);
      const candidates = [...views.values()].filter((h) => takesPlacements(h) && !excluded.has(h.id) && fits(free.get(h.id)!, pending.resources));
      expect(candidates).toEqual([]);
      expect(pending.reason.length).toBeGreaterThan(10);
    }
  }
  // Claims: one per host gaining instances, with the version it had and exactly what it gains.
  const adds = new Map<string, Resources>();
  for (const p of plan.placements) adds.set(p.hostId, KEYS.reduce((r, k) => ({ ...r, [k]: (adds.get(p.hostId)?.[k] ?? 0) + p.resources[k] }), res(0)));
  expect(plan.claims.map((c) => [c.hostId, c.version, c.adds])).toEqual([...adds].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, r]) => [id, views.get(id)!.version, r]));
}

function checkCapacity(snapshot: ClusterSnapshot): void {
  for (const h of snapshot.hosts()) for (const k of KEYS) expect(h.booked[k]).toBeLessThanOrEqual(h.allocatable[k]);
  const recount = ClusterSnapshot.build(snapshot.toInput(), snapshot.policy);
  expect(recount.hosts().map((h) => h.booked)).toEqual(snapshot.hosts().map((h) => h.booked));
}

describe('placement on random clusters', () => {
  it.each(Array.from({ length: 50 }, (_, i) => i + 1))('keeps every rule on cluster #%i', (seed) => {
    const world = randomWorld(seed);
    checkCapacity(world.snapshot);
    for (let step = 0; step < 30; step++) {
      const roll = world.random();
      let plan: PlacementPlan;
      if (roll < 0.15) {
        // Applied straight away, without looking at the snapshot in between (the plan's
        // reservations are kept rather than given back and made again).
        const before = world.snapshot.hosts();
        plan = place(world.snapshot, randomRequest(world.random));
        world.snapshot = world.snapshot.apply(plan);
        const after = new Map(world.snapshot.hosts().map((h) => [h.id, h]));
        for (const h of before) {
          const gained = plan.placements.filter((p) => p.hostId === h.id).reduce((sum, p) => sum + p.resources.memoryMb, 0);
          expect(after.get(h.id)!.booked.memoryMb).toBe(h.booked.memoryMb + gained);
        }
        checkCapacity(world.snapshot);
        continue;
      } else if (roll < 0.55) {
        const request = randomRequest(world.random);
        plan = place(world.snapshot, request);
        checkPlan(world, plan, [request]);
        expect(plan.placements.length + plan.pending.length).toBe(request.count);
      } else if (roll < 0.75) {
        const requests = Array.from({ length: 2 + Math.floor(world.random() * 3) }, () => randomRequest(world.random));
        plan = placeBatch(world.snapshot, requests);
        checkPlan(world, plan, requests);
        expect(plan.placements.length + plan.pending.length).toBe(requests.reduce((n, r) => n + r.count, 0));
      } else {
        const hosts = world.snapshot.hosts();
        const victim = hosts[Math.floor(world.random() * hosts.length)];
        plan = drain(world.snapshot, victim.id);
        checkPlan(world, plan, [], victim.id);
        expect(plan.placements.length + plan.pending.length).toBe(victim.instanceCount);
        const after = world.snapshot.apply(plan);
        expect(after.host(victim.id)!.instanceCount).toBe(plan.pending.length);
        world.snapshot = after;
        checkCapacity(world.snapshot);
        continue;
      }
      const versions = new Map(world.snapshot.hosts().map((h) => [h.id, h.version]));
      world.snapshot = world.snapshot.apply(plan);
      for (const claim of plan.claims) expect(world.snapshot.host(claim.hostId)!.version).toBe(versions.get(claim.hostId)! + 1);
      checkCapacity(world.snapshot);
    }
  });
});
