/** The data placement reads and returns. Plain objects, so plans can be logged and tested. */

/**
 * What an instance books and what a host offers; the same three numbers as in the schema. For
 * an instance these are its requests (see requestsFor()); its limits only need to fit a host.
 */
export interface Resources {
  memoryMb: number;
  /** Thousandths of a core (250 = a quarter core). */
  cpuMillis: number;
  pidsLimit: number;
}

/** `unreachable`: not a stored state, but a ready host whose agent missed its heartbeats (see loadClusterInput). */
export type HostState = 'ready' | 'draining' | 'unreachable' | 'down';

/** A host as the snapshot is built from it (a row of "Host"). */
export interface HostInput {
  id: string;
  name: string;
  /** The row's optimistic-lock version; plans carry it so the commit can check it. */
  version: number;
  state: HostState;
  cordoned: boolean;
  /** Declared capacity, before overcommit. */
  capacity: Resources;
}

/** An instance that books capacity on a host: a row of "Instance" whose desiredState is running. */
export interface InstanceInput {
  id: string;
  hostId: string;
  /** Spread group, see spreadGroup(): replicas of one group avoid sharing a host. */
  group: string;
  resources: Resources;
}

/** How much of each resource may be booked per unit of declared capacity. */
export interface OvercommitRatios {
  memoryMb: number;
  cpuMillis: number;
  pidsLimit: number;
}

export interface PlacementPolicy {
  /**
   * 1 books exactly the declared capacity; 2 books up to twice it. Default 1 for each here;
   * Berth's configuration books pids 16 times over (PLACEMENT_OVERCOMMIT_PIDS).
   */
  overcommit: OvercommitRatios;
  /**
   * Feasible, collision-free hosts scored per instance before picking the best (Nomad's
   * LimitIterator). More is a closer best fit and slower. Default 4.
   */
  candidateLimit: number;
  /** What an instance books when its formation names no request, as a fraction of each limit. */
  requestRatios: RequestRatios;
}

/**
 * Requests as a fraction of limits, as Kubernetes has requests below limits. An instance books
 * an eighth of its memory limit (32 MB of a default 256 MB): a small awake web app uses 8–25
 * MB, and a host that runs short of memory puts its least recently requested idle
 * environments to sleep (@berth/sleep) before its kernel would have to kill; an app that grows
 * past its limit is still OOM-killed in its own cgroup. CPU is compressible: an instance books
 * a two-hundredth of its quota (3 millicores of a default 0.5 CPU, requestsFor() rounds to
 * whole millicores) and may burst to the quota while the host has time to spare; under
 * contention cpu.shares, proportional to the request, divide the host. Mirrors the defaults of
 * PLACEMENT_MEMORY_REQUEST_RATIO and PLACEMENT_CPU_REQUEST_RATIO.
 */
export interface RequestRatios {
  memoryMb: number;
  cpuMillis: number;
}

export const DEFAULT_REQUEST_RATIOS: RequestRatios = { memoryMb: 0.125, cpuMillis: 0.005 };

export const DEFAULT_POLICY: PlacementPolicy = {
  overcommit: { memoryMb: 1, cpuMillis: 1, pidsLimit: 1 },
  candidateLimit: 4,
  requestRatios: DEFAULT_REQUEST_RATIOS,
};

/** Requests a formation may name; null or absent means the ratio of the limit. */
export interface ExplicitRequests {
  memoryMb?: number | null;
  cpuMillis?: number | null;
}

/**
 * What an instance of this size books: the explicit requests, else each limit times its
 * ratio (at least 1), never more than the limit. Pids book the limit: it is what the kernel
 * counts against the host.
 */
export function requestsFor(limits: Resources, explicit: ExplicitRequests = {}, ratios: RequestRatios = DEFAULT_REQUEST_RATIOS): Resources {
  const pick = (value: number | null | undefined, limit: number, ratio: number) => Math.min(limit, value ?? Math.max(1, Math.round(limit * ratio)));
  return { memoryMb: pick(explicit.memoryMb, limits.memoryMb, ratios.memoryMb), cpuMillis: pick(explicit.cpuMillis, limits.cpuMillis, ratios.cpuMillis), pidsLimit: limits.pidsLimit };
}

/** Asks for `count` instances of one size in one spread group. */
export interface PlacementRequest {
  /** Spread group (spreadGroup(releaseId, processType)). */
  group: string;
  /** What each instance books: its requests. */
  resources: Resources;
  /**
   * Each instance's ceilings (cgroup limits): a host whose allocatable capacity is smaller is
   * never picked, even when the requests fit. Defaults to `resources`.
   */
  limits?: Resources;
  count: number;
  /**
   * Ids for the new instances, one per instance, echoed in the plan. Without them the plan
   * makes up ids; pass real ones if you later drain or release through the snapshot.
   */
  instanceIds?: readonly string[];
  /** Hosts this request must not use (by id). */
  excludeHostIds?: readonly string[];
}

/** One instance placed on a host. */
export interface Placement {
  instanceId: string;
  group: string;
  hostId: string;
  hostName: string;
  resources: Resources;
  /** Index of the request in the batch (0 for place()). */
  request: number;
  /** 0..count-1 within its request. */
  ordinal: number;
  /** Set by drain(): the host the instance moves away from. */
  movedFrom?: string;
}

/** One instance that fits nowhere, with a reason meant for people. */
export interface PendingInstance {
  instanceId: string;
  group: string;
  resources: Resources;
  request: number;
  ordinal: number;
  reason: string;
}

/** An instance that stops booking capacity on its host (drained away or released). */
export interface Removal {
  instanceId: string;
  hostId: string;
  group: string;
  resources: Resources;
}

/**
 * What the plan adds to one host, and the host version it was computed against. The commit
 * bumps the version only if it still has this value (see claimHosts()).
 */
export interface HostClaim {
  hostId: string;
  hostName: string;
  version: number;
  adds: Resources;
}

/** What place(), placeBatch(), drain() and release() return; frozen, so what is applied is what was planned. */
export interface PlacementPlan {
  /** Which snapshot generation the plan was computed against; apply() checks it. */
  readonly basis: number;
  readonly placements: readonly Readonly<Placement>[];
  readonly pending: readonly PendingInstance[];
  readonly removals: readonly Removal[];
  /** One per host that gains instances, sorted by host id. */
  readonly claims: readonly HostClaim[];
}

/**
 * The spread group of a process type of a release: its replicas prefer distinct hosts. Per
 * release, not per environment: while a rollout starts the new release's instances, the old
 * release's are about to stop, and spreading around them would stack the new ones.
 */
export function spreadGroup(releaseId: string, processType: string): string {
  return `${releaseId}/${processType}`;
}
