/**
 * The agent's decision, pure: from this host's instance rows, the containers its engine reports
 * and what the agent remembers of each instance, the actions that bring the containers in line.
 * No I/O and no clock here; `ReconcileExecutor` applies the actions, `Reconciler` runs the loop.
 */

/** Probes of healthy web instances after they passed their first one. */
export const LIVENESS_EVERY_MS = 5000;

/** The parts of an instance row the decision reads. */
export interface InstanceFacts {
  id: string;
  desiredState: string;
  actualState: string;
  healthy: boolean;
  hostPort: number | null;
  processType: string;
  release: { status: string; environment: { sleepingSince: Date | null } | null };
}

/** A container of this install on this host, as the engine lists it. */
export interface ContainerFacts {
  id: string;
  instanceId: string | undefined;
  /** Its processes run (not frozen, not exited). */
  running: boolean;
  /** Frozen (the engine's pause, the cgroup freezer): alive, its memory kept, no CPU. */
  paused: boolean;
}

/** What the agent remembers of an instance between rounds (see `InstanceHealth`). */
export interface HealthFacts {
  containerId?: string;
  /** No start before this time: the restart backoff. */
  notBefore: number;
  lastProbeAt: number;
}

export interface ReconcileInput<R extends InstanceFacts> {
  rows: readonly R[];
  containers: readonly ContainerFacts[];
  health: ReadonlyMap<string, HealthFacts>;
  now: number;
  /**
   * Instances moved off this host while it was lost, whose container here still serves until
   * they run healthy elsewhere (`Instance.previousHostId`): their containers are kept.
   */
  handedOver?: ReadonlySet<string>;
  /**
   * How long an asleep instance's container stays frozen (memory kept, woken by a thaw) before
   * it is stopped (memory freed, woken by a start): AGENT_FREEZE_MINUTES. 0 or absent: never
   * frozen, stopped at once.
   */
  freezeMs?: number;
  /** The host is short of memory (MEMORY_PRESSURE_AVAILABLE_MB): frozen containers are stopped, none is frozen. */
  memoryShort?: boolean;
}

/** Why an asleep instance's container is stopped rather than frozen or left frozen. */
export type DeepSleepCause = 'asleep' | 'frozen-too-long' | 'memory-short';

/** Each action of an instance runs after the one before it; `Reconciler` runs instances side by side. */
export type ReconcileAction<R> =
  /** A container no row of this host wants (row gone, moved elsewhere, app deleted): stop and remove it. */
  | { kind: 'remove-unwanted'; containerId: string }
  /** A container of the instance that must go (told to stop, or a second one): its output shipped first. */
  | { kind: 'remove'; row: R; containerId: string }
  | { kind: 'announce-stopped'; row: R }
  /** The instance was told to stop and its containers are gone: delete the row and forget it. */
  | { kind: 'delete-row'; row: R }
  /** Its environment sleeps: freeze the running container (memory kept, no CPU), so that waking is a thaw. */
  | { kind: 'freeze'; row: R; containerId: string }
  /**
   * Its environment sleeps (freezing is off), it has been frozen past AGENT_FREEZE_MINUTES or the
   * host is short of memory: stop the container and keep it (memory freed), so that waking is a start.
   */
  | { kind: 'put-to-sleep'; row: R; containerId: string; cause: DeepSleepCause }
  /** Asleep: no process, no probes, no backoff. */
  | { kind: 'rest'; row: R }
  | { kind: 'report-asleep'; row: R }
  /** No container: create and start one. */
  | { kind: 'create'; row: R }
  /** Woken: start its kept container, not a new one. */
  | { kind: 'resume'; row: R; containerId: string }
  /** Woken (or awake after an agent restart) with its container frozen: thaw it. */
  | { kind: 'thaw'; row: R; containerId: string }
  /** Its container exited: say why, remove it and start again after the backoff. */
  | { kind: 'crashed'; row: R; containerId: string }
  /** A running container the agent did not start (it restarted): take it over. */
  | { kind: 'adopt'; row: R; containerId: string }
  /** Follow its output, unless the shipper already does. */
  | { kind: 'follow-output'; row: R; containerId: string }
  /** A running worker is healthy without a probe. */
  | { kind: 'mark-healthy'; row: R }
  /** A web instance not yet healthy: healthy once it answers, restarted past the health deadline. */
  | { kind: 'probe-startup'; row: R }
  /** A healthy web instance, every LIVENESS_EVERY_MS: restarted after several missed probes. */
  | { kind: 'probe-liveness'; row: R };

/** A stopped instance of an asleep environment's current release: its container is kept, frozen or stopped. */
export const isAsleep = (row: InstanceFacts) => Boolean(row.release.environment?.sleepingSince) && row.release.status === 'active';

/**
 * The round's actions: first the containers nobody here wants, then each row's in row order.
 * Containers of other hosts and other installs never reach this function (see `ContainerRuntime.list`).
 */
export function decideReconcile<R extends InstanceFacts>(input: ReconcileInput<R>): ReconcileAction<R>[] {
  const wanted = new Set(input.rows.map((row) => row.id));
  const byInstance = new Map<string, ContainerFacts[]>();
  const actions: ReconcileAction<R>[] = [];
  for (const c of input.containers) {
    if (c.instanceId && wanted.has(c.instanceId)) byInstance.set(c.instanceId, [...(byInstance.get(c.instanceId) ?? []), c]);
    else if (!(c.instanceId && input.handedOver?.has(c.instanceId))) actions.push({ kind: 'remove-unwanted', containerId: c.id });
  }
  const sleep = { freezeMs: input.freezeMs ?? 0, memoryShort: input.memoryShort ?? false };
  for (const row of input.rows) actions.push(...decideInstance(row, byInstance.get(row.id) ?? [], input.health.get(row.id), input.now, sleep));
  return actions;
}

/** Whether an asleep instance's container must be stopped now (deep sleep), and why; null: frozen is right. */
export function deepSleepCause(row: InstanceFacts, now: number, sleep: { freezeMs: number; memoryShort: boolean }): DeepSleepCause | null {
  if (sleep.freezeMs <= 0) return 'asleep';
  if (sleep.memoryShort) return 'memory-short';
  const since = row.release.environment?.sleepingSince?.getTime() ?? now;
  return now - since >= sleep.freezeMs ? 'frozen-too-long' : null;
}

/** Running first, then frozen, then exited: the one kept when an instance has several. */
const liveness = (c: ContainerFacts) => (c.running ? 2 : c.paused ? 1 : 0);

export function decideInstance<R extends InstanceFacts>(
  row: R,
  containers: readonly ContainerFacts[],
  health: HealthFacts | undefined,
  now: number,
  sleep: { freezeMs: number; memoryShort: boolean } = { freezeMs: 0, memoryShort: false },
): ReconcileAction<R>[] {
  if (row.desiredState === 'stopped' && !isAsleep(row)) {
    return [
      ...containers.map((c): ReconcileAction<R> => ({ kind: 'remove', row, containerId: c.id })),
      ...(containers.length ? [{ kind: 'announce-stopped', row } as const] : []),
      { kind: 'delete-row', row },
    ];
  }
  // Never two containers for one instance: keep a running one, else a frozen one.
  const [keep, ...extra] = [...containers].sort((a, b) => liveness(b) - liveness(a));
  const actions: ReconcileAction<R>[] = extra.map((c) => ({ kind: 'remove', row, containerId: c.id }));
  if (row.desiredState === 'stopped') {
    // Asleep: frozen first (woken in tens of ms), stopped after the freeze window or when memory is short.
    const deep = keep && (keep.running || keep.paused) ? deepSleepCause(row, now, sleep) : null;
    if (deep) actions.push({ kind: 'put-to-sleep', row, containerId: keep!.id, cause: deep });
    else if (keep?.running) actions.push({ kind: 'freeze', row, containerId: keep.id });
    actions.push({ kind: 'rest', row });
    if (row.actualState !== 'stopped' || row.healthy || row.hostPort !== null) actions.push({ kind: 'report-asleep', row });
    return actions;
  }
  if (!keep) {
    if ((health?.notBefore ?? 0) <= now) actions.push({ kind: 'create', row });
    return actions;
  }
  // Frozen while asleep and woken now (or found frozen after an agent restart): thaw it.
  if (keep.paused) return [...actions, { kind: 'thaw', row, containerId: keep.id }];
  // Put to sleep earlier and woken now: start the kept container, not a new one.
  if (!keep.running && row.actualState === 'stopped') return [...actions, { kind: 'resume', row, containerId: keep.id }];
  if (!keep.running) return [...actions, { kind: 'crashed', row, containerId: keep.id }];
  if (health?.containerId !== keep.id) actions.push({ kind: 'adopt', row, containerId: keep.id });
  actions.push({ kind: 'follow-output', row, containerId: keep.id });
  const healthy = row.actualState === 'running' && row.healthy;
  if (row.processType !== 'web') {
    if (!healthy) actions.push({ kind: 'mark-healthy', row });
  } else if (!healthy) {
    actions.push({ kind: 'probe-startup', row });
  } else if (now - (health?.lastProbeAt ?? 0) >= LIVENESS_EVERY_MS) {
    actions.push({ kind: 'probe-liveness', row });
  }
  return actions;
}

/**
 * When to look again without waiting for the timer: in a moment while something is starting,
 * when its backoff ends while one is waiting; undefined when everything wanted is healthy.
 */
export function nextRoundIn(rows: readonly InstanceFacts[], health: ReadonlyMap<string, HealthFacts>, now: number): number | undefined {
  const waits = rows
    .filter((row) => row.desiredState === 'running' && !(row.actualState === 'running' && row.healthy))
    .map((row) => Math.max(100, (health.get(row.id)?.notBefore ?? 0) - now));
  return waits.length ? Math.min(...waits) : undefined;
}
