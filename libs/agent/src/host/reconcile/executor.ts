import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock, Lane } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { InstanceMetricsWriter } from '@berth/metrics';
import { failedToStart, markCrashed, Notifier } from '@berth/contracts';
import { CONTAINER_PORT } from '../../container-spec';
import { ContainerDetails, ContainerRuntime } from '../container-runtime';
import { HostRegistration } from '../host-registration';
import { InstanceRef, LogShipper } from '../log-shipper';
import { UsageSampler } from './usage-sampler';
import { TcpProbe } from '../tcp-probe';
import { CrashDiagnosis } from './crash-diagnosis';
import { ContainerFacts, DeepSleepCause, ReconcileAction } from './decide';
import { InstanceHealth, LIVENESS_TIMEOUT_MS } from './instance-health';
import { engineMessage, InstanceLauncher } from './instance-launcher';
import { metricsKeyOf, refOf, WantedInstance } from './wanted';

const STARTS_AT_ONCE = 4;
/**
 * Thaws at once: someone's request waits on each, and a thaw is cheap (a write to the
 * container's freezer, or one engine unpause of about 50 ms where the agent cannot write it),
 * so fifty waiting behind four lanes of other work took seconds.
 */
const THAWS_AT_ONCE = 16;
/**
 * Instances whose round is only probes and bookkeeping (no engine call that changes a
 * container) at once: every running web instance is probed every LIVENESS_EVERY_MS, and in the
 * four lanes of the engine's work 370 instances' probes took a round of about a minute, so new
 * instances waited that long to be started.
 */
const PROBES_AT_ONCE = 32;
/** What an instance's round may hold to go in the probes' lane: no engine call that changes a container. */
const LIGHT: ReadonlySet<InstanceAction['kind']> = new Set(['probe-liveness', 'probe-startup', 'follow-output', 'mark-healthy', 'adopt', 'announce-stopped', 'report-asleep']);
/** How often a woken instance is probed until it answers: someone's request is waiting. */
const WAKE_PROBE_MS = 20;

type Action = ReconcileAction<WantedInstance>;
type InstanceAction = Exclude<Action, { kind: 'remove-unwanted' }>;

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/**
 * Applies a round's actions to the engine, the rows and the instances' health: unwanted
 * containers first, then each instance's actions in order. Only an action's outcome (a probe
 * answered, a start failed, why a container exited) is judged here, by `InstanceHealth` and
 * `CrashDiagnosis`.
 *
 * An instance's engine work (create, stop, freeze, remove) goes to the engine's lane, four at a
 * time, which outlives the round that queued it: the round goes on without waiting, and the
 * next one skips an instance whose work is queued or under way. When rounds waited for their
 * engine work, a round of 16 creates and the stops of sleepers took 20 to 44 s on a loaded host,
 * and a placement made meanwhile waited that long before its create was even queued.
 */
@Injectable()
export class ReconcileExecutor {
  private readonly logger = new Logger('Reconciler');
  private stopped = false;
  /** Instances with actions under way: a wake's (outside the rounds) and a round's never overlap. */
  private readonly busy = new Set<string>();
  /**
   * When work outside a round (a wake, or engine work a round queued) last changed an
   * instance's container (performance.now()): a round that listed the containers before that
   * saw them as they were, and leaves the instance alone.
   */
  private readonly changedAt = new Map<string, number>();
  /** Containers this agent froze and has not thawed or stopped since (a hint: the engine has the last word). */
  private readonly frozen = new Set<string>();
  /** Wakes outside the rounds: thaws are cheap, starts load the engine (about four a second here). */
  private readonly thawLane = new Lane(THAWS_AT_ONCE);
  private readonly startLane = new Lane(STARTS_AT_ONCE);
  /** Instances' engine work, across rounds (see the class's comment). */
  private readonly engineLane = new Lane(STARTS_AT_ONCE);
  /** Engine work queued or under way, waited for on shutdown. */
  private readonly queued = new Set<Promise<void>>();

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly host: HostRegistration,
    private readonly runtime: ContainerRuntime,
    private readonly probe: TcpProbe,
    private readonly notifier: Notifier,
    private readonly shipper: LogShipper,
    private readonly metrics: InstanceMetricsWriter,
    private readonly health: InstanceHealth,
    private readonly sampler: UsageSampler,
    private readonly launcher: InstanceLauncher,
    private readonly diagnosis: CrashDiagnosis,
  ) {}

  async init(): Promise<void> {
    await this.diagnosis.init();
  }

  /** No more probing of woken instances: the process is stopping. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Wakes instances at once, without waiting for a round: the router holds a request for each.
   * Each row's kept container is thawed when frozen, started when stopped; anything else (gone,
   * already running) is left to the next round.
   */
  async wake(rows: readonly WantedInstance[]): Promise<Set<string>> {
    const woken = new Set<string>();
    await Promise.all(
      rows.map(async (row) => {
        if (!row.containerId || this.busy.has(row.id) || this.stopped) return;
        this.busy.add(row.id);
        try {
          const containerId = row.containerId;
          // Frozen by this agent: thawed straight away, without asking the engine first (one
          // engine call fewer per wake, when fifty at once queue for the engine).
          let running = this.frozen.delete(containerId) ? await this.thawLane.run(() => this.thaw(row, containerId, true)) : 'not-frozen';
          if (running === 'not-frozen') {
            const container = await this.runtime.inspect(containerId);
            if (container?.paused) running = await this.thawLane.run(() => this.thaw(row, container.id));
            else if (container && !container.running) running = await this.startLane.run(() => this.resume(row, container.id));
            else return;
          }
          this.changedAt.set(row.id, performance.now());
          if (running) woken.add(row.id);
        } catch (error) {
          this.logger.error(`waking ${row.processType}.${row.index} (${row.id}): ${(error as Error).message}`);
        } finally {
          this.busy.delete(row.id);
        }
      }),
    );
    return woken;
  }

  /**
   * Carries out a round's decisions. `listedAt` is when the round listed the containers: an
   * instance woken, or whose queued engine work ended, since then is skipped (the list shows
   * its containers as they were), and so is one whose wake or engine work is under way.
   * Resolves when the round's own work is done (thaws, starts of kept containers, probes,
   * crashes); engine work (creates, stops, removals) is queued and goes on after it, and
   * `afterEngineWork` is called as each instance's ends (the reconciler's next round follows it up).
   */
  async execute(actions: readonly Action[], listedAt = Number.POSITIVE_INFINITY, afterEngineWork?: () => void): Promise<void> {
    await this.diagnosis.beginRound();
    const unwanted = actions.flatMap((a) => (a.kind === 'remove-unwanted' ? [a.containerId] : []));
    await inBatches(unwanted, STARTS_AT_ONCE, (id) => this.remove(id));
    const byInstance = new Map<string, InstanceAction[]>();
    for (const a of actions) if (a.kind !== 'remove-unwanted') byInstance.set(a.row.id, [...(byInstance.get(a.row.id) ?? []), a]);
    /** Whether the instance is free for this round's work; if so it is taken until `perform` ends. */
    const claim = (steps: InstanceAction[]) => {
      const id = steps[0].row.id;
      if (this.busy.has(id) || (this.changedAt.get(id) ?? Number.NEGATIVE_INFINITY) > listedAt) return false;
      this.busy.add(id);
      return true;
    };
    const run = async (steps: InstanceAction[]) => {
      if (claim(steps)) await this.perform(steps);
    };
    // Wakes do not queue behind the round's other work (creates, stops, probes): thaws and
    // starts of kept containers each have lanes of their own, beside the rest.
    // Nor do starts queue behind the probes of every running instance: those have a wider lane.
    // A crash is diagnosed in its round: the host's OOM-kill count read at the round's start is the one it compares.
    const lanes = { thaw: [] as InstanceAction[][], resume: [] as InstanceAction[][], light: [] as InstanceAction[][], crashed: [] as InstanceAction[][], engine: [] as InstanceAction[][] };
    const laneOf = (steps: InstanceAction[]): keyof typeof lanes => {
      const has = (kind: InstanceAction['kind']) => steps.some((s) => s.kind === kind);
      if (has('thaw')) return 'thaw';
      if (has('resume')) return 'resume';
      if (steps.every((s) => LIGHT.has(s.kind))) return 'light';
      return has('crashed') ? 'crashed' : 'engine';
    };
    for (const steps of byInstance.values()) lanes[laneOf(steps)].push(steps);
    for (const steps of lanes.engine) {
      if (this.stopped || !claim(steps)) continue;
      // Queued work not begun when the agent stops is left: the next agent's rounds decide again.
      const work: Promise<void> = this.engineLane
        .run(async () => (this.stopped ? void this.busy.delete(steps[0].row.id) : this.perform(steps, true)))
        .finally(() => {
          this.queued.delete(work);
          if (!this.stopped) afterEngineWork?.();
        });
      this.queued.add(work);
    }
    await Promise.all([
      inBatches(lanes.thaw, THAWS_AT_ONCE, run),
      inBatches(lanes.resume, STARTS_AT_ONCE, run),
      inBatches(lanes.light, PROBES_AT_ONCE, run),
      inBatches(lanes.crashed, STARTS_AT_ONCE, run),
    ]);
    this.diagnosis.endRound();
  }

  /** Whether the instance has work queued or under way (a wake's, a round's or the engine lane's). */
  isBusy(instanceId: string): boolean {
    return this.busy.has(instanceId);
  }

  /** Resolves when the engine work queued so far has ended (on shutdown, and in tests). */
  async settled(): Promise<void> {
    while (this.queued.size) await Promise.all([...this.queued]);
  }

  /**
   * An instance's actions in order, on an instance `claim`ed for them (released at the end).
   * `outsideRound`: queued engine work, which a round that listed the containers before it ended
   * must not redo (it would see no container yet and create a second one on the same disk).
   */
  private async perform(steps: InstanceAction[], outsideRound = false): Promise<void> {
    let row = steps[0].row;
    try {
      for (const step of steps) {
        const next = await this.apply(step, row);
        if (next === null) break;
        row = next;
      }
    } catch (error) {
      this.logger.error(`instance ${row.processType}.${row.index} (${row.id}): ${(error as Error).message}`);
    } finally {
      if (outsideRound) this.changedAt.set(steps[0].row.id, performance.now());
      this.busy.delete(steps[0].row.id);
    }
  }

  /** After a round: forget what no row or container of this host has any more. */
  forgetExcept(rows: readonly WantedInstance[], containers: readonly ContainerFacts[]): void {
    const containerIds = new Set(containers.map((c) => c.id));
    for (const id of this.frozen) if (!containerIds.has(id)) this.frozen.delete(id);
    this.shipper.forgetExcept(containerIds);
    this.sampler.forgetExcept(containerIds);
    const ids = new Set(rows.map((row) => row.id));
    this.health.forgetExcept(ids);
    for (const id of this.changedAt.keys()) if (!ids.has(id)) this.changedAt.delete(id);
    this.launcher.forgetExcept(new Set(rows.map((row) => row.releaseId)));
  }

  /** One action; returns the row as it now stands, or null when the instance's other actions must wait. */
  private async apply(action: InstanceAction, row: WantedInstance): Promise<WantedInstance | null> {
    switch (action.kind) {
      case 'remove':
        await this.remove(action.containerId, refOf(row));
        return row;
      case 'announce-stopped':
        this.shipper.event(refOf(row), `${refOf(row).name} stopped (v${row.release.version})`);
        return row;
      case 'delete-row':
        await this.db.instance.deleteMany({ where: { id: row.id, hostId: this.host.current.id, desiredState: 'stopped' } });
        this.health.forget(row.id);
        return row;
      case 'freeze':
        // Its output stays followed: the log file just gets no new lines while it is frozen.
        await this.runtime.pause(action.containerId);
        this.frozen.add(action.containerId);
        this.shipper.event(refOf(row), `${refOf(row).name} frozen: the environment is asleep (v${row.release.version})`);
        return row;
      case 'put-to-sleep':
        this.frozen.delete(action.containerId);
        await this.runtime.stop(action.containerId, this.config.agent.stopTimeoutSeconds);
        this.shipper.event(refOf(row), `${refOf(row).name} stopped: ${this.deepSleepReason(row, action.cause)} (v${row.release.version})`);
        return row;
      case 'rest':
        this.health.rest(row.id);
        return row;
      case 'report-asleep':
        await this.update(row, { actualState: 'stopped', healthy: false, hostPort: null, memoryUsageBytes: null, cpuUsagePercent: null, reason: null });
        return row;
      case 'create':
        await this.create(row);
        return row;
      case 'resume':
        await this.resume(row, action.containerId);
        return row;
      case 'thaw':
        this.frozen.delete(action.containerId);
        await this.thaw(row, action.containerId);
        return row;
      case 'crashed':
        await this.crashed(row, action.containerId);
        return row;
      case 'adopt':
        return this.adopt(row, action.containerId);
      case 'follow-output':
        if (!this.shipper.isAttached(action.containerId)) this.shipper.attach(action.containerId, refOf(row), { resume: true });
        return row;
      case 'mark-healthy':
        this.health.healthy(row.id);
        await this.update(row, { actualState: 'running', healthy: true, reason: null });
        return row;
      case 'probe-startup':
        await this.probeStartup(row);
        return row;
      case 'probe-liveness':
        await this.probeLiveness(row);
        return row;
    }
  }

  /** Stops and removes a container, its last output shipped first. */
  private remove(containerId: string, ref?: InstanceRef): Promise<void> {
    return this.runtime.remove(containerId, this.config.agent.stopTimeoutSeconds, () => this.shipper.drain(containerId, ref));
  }

  private deepSleepReason(row: WantedInstance, cause: DeepSleepCause): string {
    if (cause === 'asleep') return 'the environment is asleep';
    if (cause === 'memory-short') return `the environment is asleep and the host is short of memory (below MEMORY_PRESSURE_AVAILABLE_MB=${this.config.sleep.pressureAvailableMb})`;
    const since = row.release.environment.sleepingSince?.getTime() ?? this.clock.now().getTime();
    const minutes = Math.max(0, Math.round((this.clock.now().getTime() - since) / 60_000));
    return `asleep for ${minutes} minute${minutes === 1 ? '' : 's'} (frozen longer than AGENT_FREEZE_MINUTES)`;
  }

  private update(row: WantedInstance, data: Prisma.InstanceUpdateManyMutationInput) {
    // Only while the row is still ours: the scheduler may have moved it meanwhile.
    return this.db.instance.updateMany({ where: { id: row.id, hostId: this.host.current.id }, data });
  }

  private get probeAddress(): string {
    return this.config.agent.publishAddress === '0.0.0.0' ? '127.0.0.1' : this.config.agent.publishAddress;
  }

  private async create(row: WantedInstance): Promise<void> {
    const now = this.clock.now().getTime();
    try {
      const details = await this.launcher.launch(row);
      this.shipper.attach(details.id, refOf(row));
      // At the container's start: the app's first lines (stamped by the engine) come after it.
      this.shipper.event(refOf(row), `${refOf(row).name} started (v${row.release.version})`, details.startedAt ?? undefined);
      this.health.started(row.id, details, now);
      await this.update(row, { containerId: details.id, hostPort: details.hostPort, actualState: 'starting', healthy: false, startedAt: details.startedAt ?? new Date(now) });
      // Probed tightly until it answers, as a woken one is: a rollout waits on it, and the
      // rounds' probes come a round apart (each reads every instance of the host).
      this.probeSoon(row, details);
    } catch (error) {
      const delay = this.health.failedToStart(row.id, now);
      const said = engineMessage(error);
      const message = /no space left on device/i.test(said)
        ? `the app's files do not fit on its ${row.diskMb} MB disk; raise diskMb of ${row.processType} in the formation (${said})`
        : said;
      this.shipper.event(refOf(row), `${refOf(row).name} could not start: ${message}; trying again in ${Math.round(delay / 1000)} s`);
      await this.update(row, failedToStart(`could not start: ${message}; trying again in ${Math.round(delay / 1000)} s`));
    }
  }

  /**
   * Starts the kept container of a woken instance and probes it tightly (not at the pace of the
   * rounds) so the router can send the waiting request the moment it answers.
   */
  private async resume(row: WantedInstance, containerId: string): Promise<boolean> {
    const now = this.clock.now().getTime();
    const details = await this.runtime.start(containerId);
    // The host's OOM count is not news here: it was read before the container was started.
    if (!details?.running) {
      await this.crashed(row, containerId, false);
      return false;
    }
    this.shipper.event(refOf(row), `${refOf(row).name} started: woken (v${row.release.version})`, details.startedAt ?? undefined);
    await this.woken(row, details, now);
    return true;
  }

  /**
   * Thaws the frozen container of a woken instance: its process carries on where it was frozen
   * (it answered then), so the tight probe below marks it healthy at its first answer.
   */
  private async thaw(row: WantedInstance, containerId: string): Promise<boolean>;
  private async thaw(row: WantedInstance, containerId: string, unlessStopped: true): Promise<boolean | 'not-frozen'>;
  private async thaw(row: WantedInstance, containerId: string, unlessStopped = false): Promise<boolean | 'not-frozen'> {
    const now = this.clock.now().getTime();
    const details = await this.runtime.unpause(containerId);
    // Thought frozen but stopped since (put to sleep deeper): the caller starts it instead.
    if (unlessStopped && details && !details.running && !details.paused) return 'not-frozen';
    if (!details?.running) {
      await this.crashed(row, containerId, false);
      return false;
    }
    this.shipper.event(refOf(row), `${refOf(row).name} thawed: woken (v${row.release.version})`);
    await this.woken(row, details, now);
    return true;
  }

  /** A woken instance's container runs again: put it on its row as starting and probe it until it answers. */
  private async woken(row: WantedInstance, details: ContainerDetails, now: number): Promise<void> {
    this.shipper.attach(details.id, refOf(row), { resume: true });
    this.health.started(row.id, details, now);
    await this.update(row, { containerId: details.id, hostPort: details.hostPort, actualState: 'starting', healthy: false, startedAt: details.startedAt ?? new Date(now), reason: null });
    this.probeSoon(row, details);
  }

  /**
   * A web container just started: probed every WAKE_PROBE_MS beside the rounds until it answers
   * (healthy, routed at once) or its health deadline passes (the rounds' startup probe restarts it).
   */
  private probeSoon(row: WantedInstance, details: ContainerDetails): void {
    if (row.processType !== 'web' || !details.hostPort) return;
    void this.probeUntilHealthy(row, details.id, details.hostPort).catch((error) => this.logger.warn(`probing ${row.processType}.${row.index}: ${(error as Error).message}`));
  }

  private async probeUntilHealthy(row: WantedInstance, containerId: string, hostPort: number): Promise<void> {
    const deadline = Date.now() + this.config.agent.healthTimeoutMs;
    // Until then, or until the instance has another container (it crashed and was started again).
    while (Date.now() < deadline && !this.stopped && this.health.get(row.id)?.containerId === containerId) {
      if (await this.probe.check(this.probeAddress, hostPort)) {
        const marked = await this.db.instance.updateMany({
          where: { id: row.id, hostId: this.host.current.id, hostPort, desiredState: 'running', healthy: false },
          data: { actualState: 'running', healthy: true, reason: null },
        });
        this.health.answeredIfTracked(row.id, this.clock.now().getTime());
        if (marked.count) await this.notifier.routesChanged(row.environmentId);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, WAKE_PROBE_MS));
    }
  }

  /** A running container the agent did not start: follow it and put it on its row. Null when it is gone. */
  private async adopt(row: WantedInstance, containerId: string): Promise<WantedInstance | null> {
    const details = await this.runtime.inspect(containerId);
    if (!details) return null;
    // Adopted after an agent restart: carry on after the last line stored.
    this.shipper.attach(details.id, refOf(row), { resume: true });
    this.health.started(row.id, details, details.startedAt?.getTime() ?? this.clock.now().getTime());
    if (row.containerId === details.id && row.hostPort === details.hostPort) return row;
    await this.update(row, { containerId: details.id, hostPort: details.hostPort, startedAt: details.startedAt });
    return { ...row, containerId: details.id, hostPort: details.hostPort };
  }

  private async probeStartup(row: WantedInstance): Promise<void> {
    const now = this.clock.now().getTime();
    if (row.hostPort && (await this.probe.check(this.probeAddress, row.hostPort))) {
      this.health.healthy(row.id, now);
      await this.update(row, { actualState: 'running', healthy: true, reason: null });
      await this.notifier.routesChanged(row.environmentId);
    } else if (this.health.startupOverdue(row.id, now)) {
      await this.restart(row, `did not answer on port ${CONTAINER_PORT} within ${Math.round(this.config.agent.healthTimeoutMs / 1000)} s`, 'failed');
    }
  }

  private async probeLiveness(row: WantedInstance): Promise<void> {
    const now = this.clock.now().getTime();
    const answered = Boolean(row.hostPort) && (await this.probe.check(this.probeAddress, row.hostPort!, LIVENESS_TIMEOUT_MS));
    if (this.health.livenessProbed(row.id, answered, now)) await this.restart(row, `stopped answering on port ${CONTAINER_PORT}`, 'crashed');
  }

  /** The container exited: say why, then restart it after the backoff. */
  private async crashed(row: WantedInstance, containerId: string, hostCountIsNews = true): Promise<void> {
    const why = await this.diagnosis.why(row.memoryMb, containerId, hostCountIsNews);
    await this.restart(row, why, 'crashed', /ran out of memory/.test(why));
  }

  private async restart(row: WantedInstance, why: string, state: 'crashed' | 'failed', outOfMemory = false): Promise<void> {
    this.metrics.restarted(metricsKeyOf(row), this.clock.now(), outOfMemory);
    const containerId = this.health.get(row.id)?.containerId ?? row.containerId;
    if (containerId) await this.remove(containerId, refOf(row));
    const delay = this.health.crashed(row.id, this.clock.now().getTime());
    this.logger.warn(`${row.release.environment.app.name}/${row.release.environment.name} ${row.processType}.${row.index} ${why}; restarting in ${delay / 1000} s`);
    this.shipper.event(refOf(row), `${refOf(row).name} ${state}: ${why}; restarting in ${Math.round(delay / 1000)} s`);
    await this.update(row, markCrashed(state, `${why}; restarting in ${Math.round(delay / 1000)} s`));
    if (row.healthy) await this.notifier.routesChanged(row.environmentId);
  }
}
