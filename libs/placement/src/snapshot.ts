import { CapacityIndex } from './capacity-index';
import { DEFAULT_POLICY, HostInput, HostState, InstanceInput, PlacementPlan, PlacementPolicy, Resources } from './types';

/**
 * The cluster as placement sees it: hosts, what is booked on them, and where each spread group
 * already runs, indexed so a placement looks at a handful of hosts instead of all of them.
 *
 * Why a mutable index behind an immutable-looking value: copying a 10,000-host index per
 * placement would cost more than the placement, and a persistent (structure-sharing) grid would
 * make every step slower for a feature nobody uses (looking at old snapshots). Instead each
 * ClusterSnapshot owns the index exclusively. place() reserves capacity as it plans, so later
 * instances of a plan see earlier ones; the reservations are given back before anything next
 * looks at the snapshot (or kept, when the next call applies that very plan), so a snapshot
 * never changes under its holder. apply() moves the index forward in O(hosts touched), hands
 * it to the snapshot it returns and retires itself, so any later use of the old value throws
 * instead of seeing the new state. Several async tasks may plan against one snapshot: the
 * first apply() wins, and the others' apply() throws, telling them to plan again.
 */
export class ClusterSnapshot {
  private constructor(private state: ClusterState | null) {}

  /**
   * Builds a snapshot from hosts and their running instances. `levels` is the grid's
   * resolution per resource (tests use small ones); the default suits clusters of any size.
   */
  static build(input: ClusterInput, policy: Partial<PlacementPolicy> = {}, options: { levels?: number } = {}): ClusterSnapshot {
    return new ClusterSnapshot(new ClusterState(input, { ...DEFAULT_POLICY, ...policy }, options.levels ?? 64));
  }

  get policy(): PlacementPolicy {
    return this.live().policy;
  }

  /** Identifies this snapshot; plans carry it as their `basis`. */
  get generation(): number {
    return this.live().generation;
  }

  get hostCount(): number {
    return this.live().ids.length;
  }

  host(id: string): HostView | undefined {
    const state = this.live();
    const h = state.byId.get(id);
    return h === undefined ? undefined : state.view(h);
  }

  hosts(): HostView[] {
    const state = this.live();
    return state.ids.map((_, h) => state.view(h));
  }

  /** Running instances on a host (the ones drain() would move). */
  instancesOn(hostId: string): InstanceInput[] {
    const state = this.live();
    const h = state.byId.get(hostId);
    if (h === undefined) return [];
    return state.idsOn(h).map((id) => state.instanceInput(id));
  }

  /** The input this snapshot would be rebuilt from (versions and bookings as they are now). */
  toInput(): ClusterInput {
    const state = this.live();
    return {
      hosts: state.ids.map((id, h) => ({ id, name: state.names[h], version: state.versions[h], state: state.states[h], cordoned: state.cordoned[h], capacity: { ...state.declared[h] } })),
      instances: [...state.instances.keys()].map((id) => state.instanceInput(id)),
    };
  }

  /**
   * The snapshot after `plan` is committed: removals free their resources, placements book
   * theirs, and every claimed host's version goes up by one, as the commit does in the
   * database. This snapshot is retired: using it afterwards throws.
   */
  apply(plan: PlacementPlan): ClusterSnapshot {
    const state = this.owned();
    if (plan.basis !== state.generation) {
      throw new Error(`this plan was computed against snapshot ${plan.basis}, not ${state.generation}: plan again from the current snapshot`);
    }
    if (state.held?.plan === plan) {
      // The plan's reservations are still in the index (see ClusterState.held): keep them and
      // only record which instances run where.
      state.held = undefined;
      for (const removal of plan.removals) state.forget(removal.instanceId);
      for (const p of plan.placements) state.remember(p.instanceId, state.indexOf(p.hostId), p.group, p.resources);
    } else {
      state.settle();
      state.checkPlan(plan); // before any change, so a bad plan leaves this snapshot as it was
      // Removals first: drain() moves an instance under the same id.
      for (const removal of plan.removals) state.unbook(removal.instanceId);
      for (const p of plan.placements) state.book(p.instanceId, state.indexOf(p.hostId), p.group, p.resources);
    }
    for (const claim of plan.claims) state.versions[state.indexOf(claim.hostId)]++;
    state.generation = nextGeneration++;
    this.state = null;
    return new ClusterSnapshot(state);
  }

  /** @internal The state behind a live snapshot, for the placement stack. */
  static stateOf(snapshot: ClusterSnapshot): ClusterState {
    return snapshot.live();
  }

  /** The state as this snapshot describes it: without the reservations of a plan still held. */
  private live(): ClusterState {
    const state = this.owned();
    state.settle();
    return state;
  }

  private owned(): ClusterState {
    if (!this.state) throw new Error('this snapshot was superseded by apply(): use the snapshot apply() returned');
    return this.state;
  }
}

export interface ClusterInput {
  hosts: readonly HostInput[];
  /** Instances that book capacity (desiredState running, with a host). */
  instances: readonly InstanceInput[];
}

/** A host as placement sees it now. `allocatable` is capacity × overcommit; `free` may go negative if capacity shrank. */
export interface HostView extends HostInput {
  allocatable: Resources;
  booked: Resources;
  free: Resources;
  instanceCount: number;
}

interface InstanceRecord {
  host: number;
  group: string;
  resources: Resources;
}

let nextGeneration = 1;

/** @internal The mutable state one live ClusterSnapshot owns. */
export class ClusterState {
  readonly ids: string[] = [];
  readonly names: string[] = [];
  readonly versions: number[] = [];
  readonly states: HostState[] = [];
  readonly cordoned: boolean[] = [];
  readonly declared: Resources[] = [];
  readonly byId = new Map<string, number>();
  readonly index: CapacityIndex;
  /** group → host → instances of the group on it. */
  readonly groups = new Map<string, Map<number, number>>();
  readonly instances = new Map<string, InstanceRecord>();
  /** Instances per host. Which ones is looked up by scanning `instances`: only drains ask, and a set per host would cost every placement. */
  readonly countOn: Int32Array;
  generation = nextGeneration++;
  /**
   * The last plan made, whose reservations are left in the index so that applying it next
   * (the common case) costs nothing more; anything else that looks at the state gives them
   * back first (settle()). Nobody outside sees the difference.
   */
  held: { plan: PlacementPlan; giveBack: () => void } | undefined;

  constructor(
    input: ClusterInput,
    readonly policy: PlacementPolicy,
    levels: number,
  ) {
    const { overcommit } = policy;
    for (const [name, ratio] of Object.entries(overcommit)) {
      if (!(ratio > 0 && Number.isFinite(ratio))) throw new RangeError(`overcommit ratio for ${name} must be a positive number, got ${ratio}`);
    }
    if (!(Number.isInteger(policy.candidateLimit) && policy.candidateLimit >= 1)) throw new RangeError(`candidateLimit must be a whole number ≥ 1, got ${policy.candidateLimit}`);
    if (!(Number.isInteger(levels) && levels >= 1 && levels <= 1024)) throw new RangeError(`levels must be a whole number from 1 to 1024, got ${levels}`);
    this.index = new CapacityIndex(input.hosts.length, levels);
    this.countOn = new Int32Array(input.hosts.length);
    input.hosts.forEach((host, h) => {
      if (this.byId.has(host.id)) throw new RangeError(`host ${host.id} appears twice`);
      checkResources(host.capacity, `host ${host.name}`);
      this.byId.set(host.id, h);
      this.ids.push(host.id);
      this.names.push(host.name);
      this.versions.push(host.version);
      this.states.push(host.state);
      this.cordoned.push(host.cordoned);
      this.declared.push({ ...host.capacity });
      this.index.capMem[h] = allocatable(host.capacity.memoryMb, overcommit.memoryMb);
      this.index.capCpu[h] = allocatable(host.capacity.cpuMillis, overcommit.cpuMillis);
      this.index.capPids[h] = allocatable(host.capacity.pidsLimit, overcommit.pidsLimit);
    });
    for (const instance of input.instances) {
      if (this.instances.has(instance.id)) throw new RangeError(`instance ${instance.id} appears twice`);
      checkResources(instance.resources, `instance ${instance.id}`);
      this.book(instance.id, this.indexOf(instance.hostId), instance.group, instance.resources);
    }
    // Indexed after booking, so each host enters the grid once, in its final cell.
    const { index } = this;
    for (let h = 0; h < this.ids.length; h++) {
      index.maxCapMem = Math.max(index.maxCapMem, index.capMem[h]);
      index.maxCapCpu = Math.max(index.maxCapCpu, index.capCpu[h]);
      if (index.capMem[h] > 0) index.minCapMem = Math.min(index.minCapMem, index.capMem[h]);
      if (index.capCpu[h] > 0) index.minCapCpu = Math.min(index.minCapCpu, index.capCpu[h]);
    }
    for (let h = 0; h < this.ids.length; h++) if (this.acceptsPlacements(h)) index.insert(h);
  }

  /** Throws unless every removal names a running instance once and every placement a known host and a free id. */
  checkPlan(plan: PlacementPlan): void {
    const removed = new Set<string>();
    for (const { instanceId } of plan.removals) {
      if (!this.instances.has(instanceId)) throw new RangeError(`the plan removes instance ${instanceId}, which is not running on any host`);
      if (removed.has(instanceId)) throw new RangeError(`the plan removes instance ${instanceId} twice`);
      removed.add(instanceId);
    }
    const placed = new Set<string>();
    for (const { instanceId, hostId } of plan.placements) {
      this.indexOf(hostId);
      if ((this.instances.has(instanceId) && !removed.has(instanceId)) || placed.has(instanceId)) throw new RangeError(`the plan places instance ${instanceId}, which is already placed`);
      placed.add(instanceId);
    }
    for (const claim of plan.claims) this.indexOf(claim.hostId);
  }

  indexOf(hostId: string): number {
    const h = this.byId.get(hostId);
    if (h === undefined) throw new RangeError(`unknown host ${hostId}`);
    return h;
  }

  /** Ready and not cordoned: the hosts that take new instances. */
  acceptsPlacements(h: number): boolean {
    return this.states[h] === 'ready' && !this.cordoned[h];
  }

  /** Gives back the reservations of a held plan. */
  settle(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    held.giveBack();
  }

  /** Records a running instance on host h and reserves its resources there. */
  book(instanceId: string, h: number, group: string, resources: Resources): void {
    this.remember(instanceId, h, group, resources);
    this.reserve(h, group, resources);
  }

  unbook(instanceId: string): void {
    const record = this.forget(instanceId);
    this.unreserve(record.host, record.group, record.resources);
  }

  /** The instance record alone (its resources are reserved separately). */
  remember(instanceId: string, h: number, group: string, resources: Resources): void {
    this.instances.set(instanceId, { host: h, group, resources });
    this.countOn[h]++;
  }

  forget(instanceId: string): InstanceRecord {
    const record = this.instances.get(instanceId);
    if (!record) throw new RangeError(`unknown instance ${instanceId}`);
    this.instances.delete(instanceId);
    this.countOn[record.host]--;
    return record;
  }

  /** Capacity and spread counts only, without the instance record: what a plan in progress books. */
  reserve(h: number, group: string, resources: Resources): void {
    let hosts = this.groups.get(group);
    if (!hosts) this.groups.set(group, (hosts = new Map()));
    hosts.set(h, (hosts.get(h) ?? 0) + 1);
    this.index.add(h, resources.memoryMb, resources.cpuMillis, resources.pidsLimit);
  }

  unreserve(h: number, group: string, resources: Resources): void {
    const hosts = this.groups.get(group)!;
    const count = hosts.get(h)! - 1;
    if (count === 0) hosts.delete(h);
    else hosts.set(h, count);
    if (hosts.size === 0) this.groups.delete(group);
    this.index.add(h, -resources.memoryMb, -resources.cpuMillis, -resources.pidsLimit);
  }

  view(h: number): HostView {
    const { index } = this;
    const booked = { memoryMb: index.usedMem[h], cpuMillis: index.usedCpu[h], pidsLimit: index.usedPids[h] };
    const alloc = { memoryMb: index.capMem[h], cpuMillis: index.capCpu[h], pidsLimit: index.capPids[h] };
    return {
      id: this.ids[h],
      name: this.names[h],
      version: this.versions[h],
      state: this.states[h],
      cordoned: this.cordoned[h],
      capacity: { ...this.declared[h] },
      allocatable: alloc,
      booked,
      free: { memoryMb: alloc.memoryMb - booked.memoryMb, cpuMillis: alloc.cpuMillis - booked.cpuMillis, pidsLimit: alloc.pidsLimit - booked.pidsLimit },
      instanceCount: this.countOn[h],
    };
  }

  /** Ids of the instances on host h, in the order they were booked. */
  idsOn(h: number): string[] {
    const ids: string[] = [];
    if (this.countOn[h] === 0) return ids;
    for (const [id, record] of this.instances) if (record.host === h) ids.push(id);
    return ids;
  }

  instanceInput(id: string): InstanceInput {
    const record = this.instances.get(id)!;
    return { id, hostId: this.ids[record.host], group: record.group, resources: { ...record.resources } };
  }
}

/** Capacity × ratio, floored; the epsilon keeps 1000 × 1.15 at 1150 despite binary fractions. */
export function allocatable(capacity: number, ratio: number): number {
  return Math.floor(capacity * ratio + 1e-9);
}

export function checkResources(r: Resources, what: string): void {
  for (const key of ['memoryMb', 'cpuMillis', 'pidsLimit'] as const) {
    const value = r[key];
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${what}: ${key} must be a number ≥ 0, got ${value}`);
  }
}
