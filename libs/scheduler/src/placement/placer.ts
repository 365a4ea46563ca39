/**
 * The seam between the scheduler and the placement algorithm: a pure function of a cluster
 * snapshot and the instances to place. SimplePlacer (below) serves until the placement library
 * (@berth/placement, Nomad-style filters + bin-packing scorer) is wired in behind the same
 * interface; the shapes follow that library's ClusterInput and plan.
 */
export interface Resources {
  memoryMb: number;
  /** Thousandths of a core. */
  cpuMillis: number;
  pidsLimit: number;
}

export interface HostInput {
  id: string;
  name: string;
  /** The row's optimistic-lock version; a commit bumps it only if it is still this. */
  version: number;
  state: 'ready' | 'draining' | 'down';
  cordoned: boolean;
  capacity: Resources;
}

/** An instance that books capacity on its host (desiredState running). */
export interface InstanceInput {
  id: string;
  hostId: string;
  /** Spread group: replicas of one environment's process type prefer distinct hosts. */
  group: string;
  resources: Resources;
}

export interface ClusterInput {
  hosts: readonly HostInput[];
  instances: readonly InstanceInput[];
}

export interface PlacementAsk {
  instanceId: string;
  group: string;
  resources: Resources;
  excludeHostIds?: readonly string[];
}

export type Overcommit = Resources;

export interface PlacementOutcome {
  placements: { instanceId: string; hostId: string }[];
  /** Instances that fit nowhere, with a reason for people. */
  pending: { instanceId: string; reason: string }[];
  /** Every host the plan adds to, with the version it was planned against. */
  claims: { hostId: string; version: number }[];
}

export abstract class Placer {
  abstract plan(cluster: ClusterInput, asks: readonly PlacementAsk[], overcommit: Overcommit): PlacementOutcome;
}

export const spreadGroup = (environmentId: string, processType: string) => `${environmentId}/${processType}`;

const describe = (r: Resources) => `${r.memoryMb} MB, ${r.cpuMillis / 1000} CPU, ${r.pidsLimit} pids`;

/**
 * Filters (ready, not cordoned, not excluded, memory/CPU/pids fit under overcommit), then a
 * score: hosts without a replica of the same group first, then the fullest host that fits
 * (memory and CPU weighed together), so instances pack onto few hosts.
 */
export class SimplePlacer extends Placer {
  plan(cluster: ClusterInput, asks: readonly PlacementAsk[], overcommit: Overcommit): PlacementOutcome {
    const hosts = cluster.hosts.map((host) => ({
      ...host,
      allocatable: {
        memoryMb: Math.floor(host.capacity.memoryMb * overcommit.memoryMb),
        cpuMillis: Math.floor(host.capacity.cpuMillis * overcommit.cpuMillis),
        pidsLimit: Math.floor(host.capacity.pidsLimit * overcommit.pidsLimit),
      },
      booked: { memoryMb: 0, cpuMillis: 0, pidsLimit: 0 },
      groups: new Map<string, number>(),
    }));
    const byId = new Map(hosts.map((h) => [h.id, h]));
    const book = (hostId: string, group: string, r: Resources) => {
      const host = byId.get(hostId);
      if (!host) return;
      host.booked.memoryMb += r.memoryMb;
      host.booked.cpuMillis += r.cpuMillis;
      host.booked.pidsLimit += r.pidsLimit;
      host.groups.set(group, (host.groups.get(group) ?? 0) + 1);
    };
    for (const instance of cluster.instances) book(instance.hostId, instance.group, instance.resources);

    const outcome: PlacementOutcome = { placements: [], pending: [], claims: [] };
    const claimed = new Set<string>();
    // Largest first: best-fit decreasing packs tighter.
    const ordered = [...asks].sort((a, b) => b.resources.memoryMb - a.resources.memoryMb || b.resources.cpuMillis - a.resources.cpuMillis);
    for (const ask of ordered) {
      const r = ask.resources;
      const open = hosts.filter((h) => h.state === 'ready' && !h.cordoned && !ask.excludeHostIds?.includes(h.id));
      const fits = open.filter(
        (h) => h.booked.memoryMb + r.memoryMb <= h.allocatable.memoryMb && h.booked.cpuMillis + r.cpuMillis <= h.allocatable.cpuMillis && h.booked.pidsLimit + r.pidsLimit <= h.allocatable.pidsLimit,
      );
      if (!fits.length) {
        outcome.pending.push({ instanceId: ask.instanceId, reason: this.whyNot(cluster.hosts.length, open, r) });
        continue;
      }
      const left = (h: (typeof hosts)[number]) =>
        (h.allocatable.memoryMb - h.booked.memoryMb - r.memoryMb) / Math.max(1, h.allocatable.memoryMb) +
        (h.allocatable.cpuMillis - h.booked.cpuMillis - r.cpuMillis) / Math.max(1, h.allocatable.cpuMillis);
      const best = fits.reduce((a, b) => {
        const sa = a.groups.get(ask.group) ?? 0;
        const sb = b.groups.get(ask.group) ?? 0;
        if (sa !== sb) return sa < sb ? a : b;
        return left(a) <= left(b) ? a : b;
      });
      book(best.id, ask.group, r);
      outcome.placements.push({ instanceId: ask.instanceId, hostId: best.id });
      if (!claimed.has(best.id)) {
        claimed.add(best.id);
        outcome.claims.push({ hostId: best.id, version: best.version });
      }
    }
    outcome.claims.sort((a, b) => a.hostId.localeCompare(b.hostId));
    return outcome;
  }

  private whyNot(total: number, open: { name: string; allocatable: Resources; booked: Resources }[], r: Resources): string {
    if (total === 0) return 'there are no hosts yet: start an agent so it registers one';
    if (!open.length) return `no host takes new instances (all ${total} are down, draining or cordoned)`;
    const best = open.reduce((a, b) => (a.allocatable.memoryMb - a.booked.memoryMb >= b.allocatable.memoryMb - b.booked.memoryMb ? a : b));
    const free = {
      memoryMb: best.allocatable.memoryMb - best.booked.memoryMb,
      cpuMillis: best.allocatable.cpuMillis - best.booked.cpuMillis,
      pidsLimit: best.allocatable.pidsLimit - best.booked.pidsLimit,
    };
    return `no host has ${describe(r)} free (most free: ${best.name} with ${describe(free)}); add a host or ask for less`;
  }
}
