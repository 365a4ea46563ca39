import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { BerthConfig } from '@berth/config';
import { Clock, Coalescer, SecretBox } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { InstanceKey, InstanceMetricsWriter } from '@berth/metrics';
import { AppImages } from '@berth/engine';
import { CHANNELS, Notifier, PlacementsChangedMessage } from '@berth/contracts';
import { RedisService } from '@berth/redis';
import { CONTAINER_PORT, containerSpec, diskTarget, LABELS } from '../container-spec';
import { Cgroups } from './cgroups';
import { ContainerRuntime, ContainerSummary } from './container-runtime';
import { HostRegistration } from './host-registration';
import { AppNetworks } from './app-networks';
import { InstanceDisks } from './instance-disks';
import { KernelLog } from './kernel-log';
import { InstanceRef, LogShipper } from './log-shipper';
import { crashCause } from './crash-cause';
import { Machine } from './machine';
import { TcpProbe } from './tcp-probe';

const WANTED = { release: { include: { image: true, formation: true, environment: { include: { app: true } } } } } as const;
type Wanted = Prisma.InstanceGetPayload<{ include: typeof WANTED }>;

/** What the agent remembers about an instance between rounds (lost on restart, and that is fine). */
interface Tracked {
  containerId?: string;
  pid?: number;
  /** When its container started, for the health deadline. */
  startedAt: number;
  /** Crashes since it was last healthy: the restart backoff grows with them. */
  failures: number;
  notBefore: number;
  missedProbes: number;
  lastProbeAt: number;
  cpu?: { nanos: number; at: number };
  /** OOM kills its memory cgroup counted when last sampled (the cgroup is gone once it exits). */
  oomKills?: number;
}

/**
 * Probes of healthy web instances after they passed their first one. A liveness probe waits
 * longer than the first (3 s): on a host whose CPU is contended an app that answers slowly is
 * not dead, and restarting it would turn slowness into an outage (seen with a load average of 22).
 */
const LIVENESS_EVERY_MS = 5000;
const LIVENESS_MISSES = 3;
const LIVENESS_TIMEOUT_MS = 3000;
const STARTS_AT_ONCE = 4;
/** How often a woken instance is probed until it answers: someone's request is waiting. */
const WAKE_PROBE_MS = 20;

/** A stopped instance of an asleep environment's current release: its container is kept, stopped. */
const isAsleep = (row: Wanted) => Boolean(row.release.environment?.sleepingSince) && row.release.status === 'active';

/** Who an instance is, for its log lines. */
const refOf = (row: Wanted): InstanceRef => ({ environmentId: row.environmentId, processType: row.processType, name: `${row.processType}.${row.index}`, release: row.release.version });
/** Who an instance is, for its minute metrics. */
const metricsKeyOf = (row: Wanted): InstanceKey => ({ environmentId: row.environmentId, instance: `${row.processType}.${row.index}`, memoryLimitMb: row.memoryMb });

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/**
 * The agent's loop: make this host's containers match its instance rows. It starts what is
 * missing, removes what nobody wants (rows gone, moved elsewhere or told to stop), adopts
 * containers it finds after a restart (by their labels) instead of starting them again,
 * checks web processes answer on PORT, restarts crashed instances with backoff, and reports
 * state and resource use on the rows. Rounds run every AGENT_RECONCILE_MS and at once when
 * the scheduler publishes placements for this host.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Reconciler.name);
  private readonly tracked = new Map<string, Tracked>();
  private readonly configs = new Map<string, Record<string, string>>();
  private subscriber?: Redis;
  private timers: NodeJS.Timeout[] = [];
  private soon?: NodeJS.Timeout;
  private readonly rounds = new Coalescer(
    () => this.round(),
    (error) => this.logger.error(`reconcile failed: ${(error as Error).stack ?? error}`),
  );
  private oomKillsSeen = 0;
  private lastSample = 0;
  private lastPrune = 0;

  constructor(
    private readonly db: PrismaService,
    private readonly redis: RedisService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    private readonly host: HostRegistration,
    private readonly runtime: ContainerRuntime,
    private readonly probe: TcpProbe,
    private readonly cgroups: Cgroups,
    private readonly machine: Machine,
    private readonly kernelLog: KernelLog,
    private readonly notifier: Notifier,
    private readonly networks: AppNetworks,
    private readonly images: AppImages,
    private readonly disks: InstanceDisks,
    private readonly shipper: LogShipper,
    private readonly metrics: InstanceMetricsWriter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.list('-').catch((error) => {
      throw new Error(`the agent cannot reach the container engine: ${(error as Error).message}. Run \`npm run setup\` or set BERTH_ENGINE_SOCKET.`);
    });
    const host = await this.host.register();
    this.oomKillsSeen = await this.machine.oomKills();
    this.subscriber = this.redis.subscriber();
    await this.subscriber.subscribe(CHANNELS.placements(this.notifier.prefix));
    this.subscriber.on('message', (_channel, text) => {
      try {
        const { hostIds } = JSON.parse(text) as PlacementsChangedMessage;
        if (hostIds === '*' || hostIds.includes(host.id)) this.kick();
      } catch {
        this.kick();
      }
    });
    this.timers.push(setInterval(() => this.kick(), this.config.agent.reconcileMs));
    this.timers.push(
      setInterval(() => {
        this.host.heartbeat().catch((error) => this.logger.warn(`heartbeat failed: ${(error as Error).message}`));
      }, this.config.agent.heartbeatMs),
    );
    this.kick();
  }

  /** Stops the loop and leaves the containers running: the next agent on this host adopts them. */
  async onModuleDestroy(): Promise<void> {
    this.timers.forEach(clearInterval);
    clearTimeout(this.soon);
    this.subscriber?.disconnect();
    await this.rounds.stop();
  }

  kick(): void {
    this.rounds.kick();
  }

  /** One pass; resolves when this host's containers have been brought in line. */
  async round(): Promise<void> {
    const hostId = this.host.current.id;
    const containers = await this.runtime.list(this.host.name);
    const rows: Wanted[] = await this.db.instance.findMany({
      where: { hostId },
      include: WANTED,
    });
    const oomKills = await this.machine.oomKills();
    const wanted = new Map(rows.map((row) => [row.id, row]));
    const byInstance = new Map<string, ContainerSummary[]>();
    const unwanted: ContainerSummary[] = [];
    for (const c of containers) {
      if (c.instanceId && wanted.has(c.instanceId)) byInstance.set(c.instanceId, [...(byInstance.get(c.instanceId) ?? []), c]);
      else unwanted.push(c);
    }
    await inBatches(unwanted, STARTS_AT_ONCE, (c) => this.remove(c.id));

    await inBatches(rows, STARTS_AT_ONCE, async (row) => {
      try {
        await this.converge(row, byInstance.get(row.id) ?? [], oomKills);
      } catch (error) {
        this.logger.error(`instance ${row.processType}.${row.index} (${row.id}): ${(error as Error).message}`);
      }
    });
    this.oomKillsSeen = oomKills;
    this.shipper.forgetExcept(new Set(containers.map((c) => c.id)));
    for (const id of this.tracked.keys()) if (!wanted.has(id)) this.tracked.delete(id);
    const releases = new Set(rows.map((row) => row.releaseId));
    for (const id of this.configs.keys()) if (!releases.has(id)) this.configs.delete(id);

    const now = this.clock.now().getTime();
    if (now - this.lastSample >= this.config.agent.heartbeatMs) {
      this.lastSample = now;
      await this.sample(wanted);
    }
    if (now - this.lastPrune >= this.config.agent.pruneMs) {
      this.lastPrune = now;
      await this.pruneDeletedApps();
      await this.disks.prune(`${LABELS.host}=${this.host.name}`);
    }
    // Something is starting (look again in a moment) or waiting out its backoff (look again when it ends).
    const waits = rows
      .filter((row) => row.desiredState === 'running' && !(row.actualState === 'running' && row.healthy))
      .map((row) => Math.max(100, (this.tracked.get(row.id)?.notBefore ?? 0) - now));
    if (waits.length && !this.rounds.isStopped) {
      clearTimeout(this.soon);
      this.soon = setTimeout(() => this.kick(), Math.min(...waits));
    }
  }

  /**
   * Networks and images of deleted apps, on this host's engine (every host has its own: no
   * registry). Containers of deleted apps went earlier in the round; an image one still uses
   * stays until a later round.
   */
  private async pruneDeletedApps(): Promise<void> {
    const apps = await this.db.app.findMany({ select: { id: true } });
    await this.networks.prune(new Set(apps.map((app) => app.id)));
    const existing = async (ids: string[]) => new Set((await this.db.app.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((app) => app.id));
    const removed = await this.images.pruneDeletedApps(existing);
    if (removed) this.logger.log(`removed ${removed} image(s) of deleted apps`);
  }

  private track(id: string): Tracked {
    let t = this.tracked.get(id);
    if (!t) this.tracked.set(id, (t = { startedAt: 0, failures: 0, notBefore: 0, missedProbes: 0, lastProbeAt: 0 }));
    return t;
  }

  /** Stops and removes a container, its last output shipped first. */
  private remove(containerId: string, ref?: InstanceRef): Promise<void> {
    return this.runtime.remove(containerId, this.config.agent.stopTimeoutSeconds, () => this.shipper.drain(containerId, ref));
  }

  private update(row: Wanted, data: Prisma.InstanceUpdateManyMutationInput) {
    // Only while the row is still ours: the scheduler may have moved it meanwhile.
    return this.db.instance.updateMany({ where: { id: row.id, hostId: this.host.current.id }, data });
  }

  private async converge(row: Wanted, containers: ContainerSummary[], oomKills: number): Promise<void> {
    if (row.desiredState === 'stopped' && isAsleep(row)) return this.sleep(row, containers);
    if (row.desiredState === 'stopped') {
      for (const c of containers) await this.remove(c.id, refOf(row));
      if (containers.length) this.shipper.event(refOf(row), `${refOf(row).name} stopped (v${row.release.version})`);
      await this.db.instance.deleteMany({ where: { id: row.id, hostId: this.host.current.id, desiredState: 'stopped' } });
      this.tracked.delete(row.id);
      return;
    }
    // Never two containers for one instance: keep a running one.
    const [keep, ...extra] = [...containers].sort((a, b) => Number(b.running) - Number(a.running));
    for (const c of extra) await this.remove(c.id, refOf(row));
    if (!keep) return this.start(row);
    // Put to sleep earlier and woken now: start the kept container, not a new one.
    if (!keep.running && row.actualState === 'stopped') return this.resume(row, keep);
    if (!keep.running) return this.crashed(row, keep, oomKills);
    return this.watch(row, keep);
  }

  /** An instance of a sleeping environment: its container stopped and kept, so that waking is a start. */
  private async sleep(row: Wanted, containers: ContainerSummary[]): Promise<void> {
    const [keep, ...extra] = [...containers].sort((a, b) => Number(b.running) - Number(a.running));
    for (const c of extra) await this.remove(c.id, refOf(row));
    if (keep?.running) {
      await this.runtime.stop(keep.id, this.config.agent.stopTimeoutSeconds);
      this.shipper.event(refOf(row), `${refOf(row).name} stopped: the environment is asleep (v${row.release.version})`);
    }
    const t = this.tracked.get(row.id);
    if (t) Object.assign(t, { pid: undefined, cpu: undefined, missedProbes: 0, failures: 0, notBefore: 0 });
    if (row.actualState !== 'stopped' || row.healthy || row.hostPort !== null) {
      await this.update(row, { actualState: 'stopped', healthy: false, hostPort: null, memoryUsageBytes: null, cpuUsagePercent: null, reason: null });
    }
  }

  /**
   * Starts the kept container of a woken instance and probes it tightly (not at the pace of the
   * rounds) so the router can send the waiting request the moment it answers.
   */
  private async resume(row: Wanted, container: ContainerSummary): Promise<void> {
    const t = this.track(row.id);
    const now = this.clock.now().getTime();
    const details = await this.runtime.start(container.id);
    if (!details?.running) return this.crashed(row, container, this.oomKillsSeen);
    this.shipper.attach(details.id, refOf(row), { resume: true });
    this.shipper.event(refOf(row), `${refOf(row).name} started: woken (v${row.release.version})`);
    Object.assign(t, { containerId: details.id, pid: details.pid, startedAt: now, missedProbes: 0, cpu: undefined });
    await this.update(row, { containerId: details.id, hostPort: details.hostPort, actualState: 'starting', healthy: false, startedAt: details.startedAt ?? new Date(now), reason: null });
    if (row.processType === 'web' && details.hostPort) void this.probeUntilHealthy(row, details.hostPort).catch((error) => this.logger.warn(`probing woken ${row.processType}.${row.index}: ${(error as Error).message}`));
  }

  private async probeUntilHealthy(row: Wanted, hostPort: number): Promise<void> {
    const address = this.config.agent.publishAddress === '0.0.0.0' ? '127.0.0.1' : this.config.agent.publishAddress;
    const deadline = Date.now() + this.config.agent.healthTimeoutMs;
    while (Date.now() < deadline && !this.rounds.isStopped) {
      if (await this.probe.check(address, hostPort)) {
        const marked = await this.db.instance.updateMany({
          where: { id: row.id, hostId: this.host.current.id, hostPort, desiredState: 'running', healthy: false },
          data: { actualState: 'running', healthy: true, reason: null },
        });
        const t = this.tracked.get(row.id);
        if (t) Object.assign(t, { failures: 0, lastProbeAt: this.clock.now().getTime() });
        if (marked.count) await this.notifier.routesChanged(row.environmentId);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, WAKE_PROBE_MS));
    }
  }

  private backoff(failures: number): number {
    return Math.min(1000 * 2 ** Math.max(0, failures - 1), this.config.agent.restartBackoffMaxMs);
  }

  private async start(row: Wanted): Promise<void> {
    const t = this.track(row.id);
    const now = this.clock.now().getTime();
    if (t.notBefore > now) return;
    const { release } = row;
    try {
      if (!release.image) throw new Error(`release v${release.version} has no image`);
      const name = `berth-${this.host.name}-${row.id}`;
      const image = await this.runtime.imageFacts(release.image.tag);
      const disk = { volume: this.disks.volumeFor(name), target: diskTarget(image.workingDir), sizeMb: row.diskMb };
      const spec = containerSpec({
        name,
        image: release.image.tag,
        imageUser: image.user,
        command: release.formation.find((line) => line.processType === row.processType)?.command ?? null,
        env: this.releaseConfig(release),
        labels: {
          [LABELS.app]: release.environment.app.name,
          [LABELS.env]: release.environment.name,
          [LABELS.release]: `v${release.version}`,
          [LABELS.process]: row.processType,
          [LABELS.instance]: row.id,
          [LABELS.host]: this.host.name,
          [LABELS.install]: this.config.installId,
        },
        limits: { memoryMb: row.memoryMb, cpuMillis: row.cpuMillis, pidsLimit: row.pidsLimit },
        cpuRequestMillis: row.cpuRequestMillis ?? row.cpuMillis,
        security: { defaultUser: this.config.agent.containerUser, ulimits: this.config.agent.ulimits },
        publishOn: row.processType === 'web' ? this.config.agent.publishAddress : undefined,
        network: await this.networks.ensure(release.environment.app),
        disk,
        logMaxMb: this.config.agent.logMaxMb,
      });
      const details = await this.runtime.run(spec, disk);
      this.shipper.attach(details.id, refOf(row));
      this.shipper.event(refOf(row), `${refOf(row).name} started (v${release.version})`);
      Object.assign(t, { containerId: details.id, pid: details.pid, startedAt: now, missedProbes: 0, cpu: undefined, oomKills: undefined });
      await this.update(row, { containerId: details.id, hostPort: details.hostPort, actualState: 'starting', healthy: false, startedAt: details.startedAt ?? new Date(now) });
    } catch (error) {
      t.failures++;
      const delay = this.backoff(t.failures);
      t.notBefore = now + delay;
      const engineMessage = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
      const message = /no space left on device/i.test(engineMessage)
        ? `the app's files do not fit on its ${row.diskMb} MB disk; raise diskMb of ${row.processType} in the formation (${engineMessage})`
        : engineMessage;
      // Someone removed the app's network behind our back: make it again next time.
      if (/network/i.test(message)) this.networks.forget(this.networks.nameOf(release.environment.app.id));
      this.shipper.event(refOf(row), `${refOf(row).name} could not start: ${message}; trying again in ${Math.round(delay / 1000)} s`);
      await this.update(row, { actualState: 'failed', healthy: false, containerId: null, hostPort: null, reason: `could not start: ${message}; trying again in ${Math.round(delay / 1000)} s` });
    }
  }

  private releaseConfig(release: Wanted['release']): Record<string, string> {
    let config = this.configs.get(release.id);
    if (!config) {
      config = this.box.openJson<Record<string, string>>(release.configEncrypted);
      this.configs.set(release.id, config);
    }
    return config;
  }

  /** A running container: adopt it if we did not start it, and check its health. */
  private async watch(row: Wanted, container: ContainerSummary): Promise<void> {
    const t = this.track(row.id);
    const now = this.clock.now().getTime();
    if (t.containerId !== container.id) {
      const details = await this.runtime.inspect(container.id);
      if (!details) return;
      // Adopted after an agent restart: carry on after the last line stored.
      this.shipper.attach(details.id, refOf(row), { resume: true });
      Object.assign(t, { containerId: details.id, pid: details.pid, startedAt: details.startedAt?.getTime() ?? now, missedProbes: 0 });
      if (row.containerId !== details.id || row.hostPort !== details.hostPort) {
        await this.update(row, { containerId: details.id, hostPort: details.hostPort, startedAt: details.startedAt });
        row = { ...row, containerId: details.id, hostPort: details.hostPort };
      }
    }
    if (!this.shipper.isAttached(container.id)) this.shipper.attach(container.id, refOf(row), { resume: true });
    if (row.processType !== 'web') {
      if (row.actualState !== 'running' || !row.healthy) {
        t.failures = 0;
        await this.update(row, { actualState: 'running', healthy: true, reason: null });
      }
      return;
    }
    const address = this.config.agent.publishAddress === '0.0.0.0' ? '127.0.0.1' : this.config.agent.publishAddress;
    if (row.actualState !== 'running' || !row.healthy) {
      if (row.hostPort && (await this.probe.check(address, row.hostPort))) {
        t.failures = 0;
        t.lastProbeAt = now;
        await this.update(row, { actualState: 'running', healthy: true, reason: null });
        await this.notifier.routesChanged(row.environmentId);
      } else if (now - t.startedAt > this.config.agent.healthTimeoutMs) {
        await this.restart(row, `did not answer on port ${CONTAINER_PORT} within ${Math.round(this.config.agent.healthTimeoutMs / 1000)} s`, 'failed');
      }
      return;
    }
    if (now - t.lastProbeAt < LIVENESS_EVERY_MS) return;
    t.lastProbeAt = now;
    if (row.hostPort && (await this.probe.check(address, row.hostPort, LIVENESS_TIMEOUT_MS))) {
      t.missedProbes = 0;
      return;
    }
    if (++t.missedProbes >= LIVENESS_MISSES) await this.restart(row, `stopped answering on port ${CONTAINER_PORT}`, 'crashed');
  }

  /** The container is gone or exited: remove it, say why, and start it again after the backoff. */
  private async crashed(row: Wanted, container: ContainerSummary, oomKills: number): Promise<void> {
    const details = await this.runtime.inspect(container.id);
    // Podman does not report OOMKilled on cgroup v1: the kernel log names the container, and its
    // cgroup counts OOM kills while it runs (also of a child whose parent then exits with 1).
    const why = crashCause({
      exitCode: details?.exitCode ?? -1,
      memoryMb: row.memoryMb,
      kernelSawOomKill: this.kernelLog.sawOomKill(container.id),
      cgroupOomKills: this.tracked.get(row.id)?.oomKills ?? 0,
      hostOomKillsRose: oomKills > this.oomKillsSeen,
    });
    await this.restart(row, why, 'crashed', /ran out of memory/.test(why));
  }

  private async restart(row: Wanted, why: string, state: 'crashed' | 'failed', outOfMemory = false): Promise<void> {
    const t = this.track(row.id);
    this.metrics.restarted(metricsKeyOf(row), this.clock.now(), outOfMemory);
    if (t.containerId || row.containerId) await this.remove((t.containerId ?? row.containerId)!, refOf(row));
    t.failures++;
    const delay = this.backoff(t.failures);
    t.notBefore = this.clock.now().getTime() + delay;
    Object.assign(t, { containerId: undefined, pid: undefined, cpu: undefined, oomKills: undefined, missedProbes: 0 });
    this.logger.warn(`${row.release.environment.app.name}/${row.release.environment.name} ${row.processType}.${row.index} ${why}; restarting in ${delay / 1000} s`);
    this.shipper.event(refOf(row), `${refOf(row).name} ${state}: ${why}; restarting in ${Math.round(delay / 1000)} s`);
    await this.update(row, {
      actualState: state,
      healthy: false,
      containerId: null,
      hostPort: null,
      restartCount: { increment: 1 },
      memoryUsageBytes: null,
      cpuUsagePercent: null,
      reason: `${why}; restarting in ${Math.round(delay / 1000)} s`,
    });
    if (row.healthy) await this.notifier.routesChanged(row.environmentId);
  }

  /** Memory and CPU of each running container, from its cgroup, onto its row and into its minute metrics. */
  private async sample(wanted: Map<string, Wanted>): Promise<void> {
    const now = this.clock.now().getTime();
    const updates: Prisma.PrismaPromise<unknown>[] = [];
    for (const [id, t] of this.tracked) {
      if (!t.pid) continue;
      const usage = await this.cgroups.usage(t.pid);
      if (!usage) continue;
      const percent = t.cpu && now > t.cpu.at ? ((usage.cpuNanos - t.cpu.nanos) / ((now - t.cpu.at) * 1e6)) * 100 : null;
      t.cpu = { nanos: usage.cpuNanos, at: now };
      const row = wanted.get(id);
      if (row) this.metrics.sample(metricsKeyOf(row), new Date(now), usage.memoryBytes, percent === null ? null : Math.max(0, percent));
      t.oomKills = usage.oomKills;
      updates.push(
        this.db.instance.updateMany({
          where: { id, hostId: this.host.current.id, containerId: t.containerId },
          data: { memoryUsageBytes: BigInt(usage.memoryBytes), ...(percent === null ? {} : { cpuUsagePercent: Math.max(0, Math.round(percent * 10) / 10) }) },
        }),
      );
    }
    if (updates.length) await this.db.$transaction(updates);
  }
}
