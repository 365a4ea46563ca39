import { Injectable } from '@nestjs/common';
import { access, constants } from 'node:fs/promises';
import type { ContainerCreateOptions } from 'dockerode';
import { BerthConfig } from '@berth/config';
import { ContainerEngine } from '@berth/engine';
import { CONTAINER_PORT, ContainerDisk, LABELS } from '../container-spec';
import { Cgroups, Freezer } from './cgroups';
import { ContainerWatch } from './container-watch';
import { InstanceDisks } from './instance-disks';
import { readLogFile } from './log-file';
import { entriesOfFrame, OutputEntry, OutputFrames } from './output-frames';

export interface ContainerSummary {
  id: string;
  instanceId: string | undefined;
  /** Its processes run: not frozen, not exited. */
  running: boolean;
  /** Frozen (the kernel's freezer, by the agent or the engine's pause): alive, memory kept, no CPU. */
  paused: boolean;
  labels: Record<string, string>;
}

export interface ContainerDetails {
  id: string;
  /** Its processes run: not frozen, not exited. */
  running: boolean;
  paused: boolean;
  pid: number;
  exitCode: number;
  hostPort: number | null;
  startedAt: Date | null;
}

export interface ImageFacts {
  /** Config.User: empty or root means the agent's default user. */
  user: string;
  /** Config.WorkingDir, where the container's disk goes. */
  workingDir: string;
}

/** Podman names a container's log file in its log config, Docker beside it. */
const logFileIn = (info: object): string | undefined => {
  const { LogPath, HostConfig } = info as { LogPath?: string; HostConfig?: { LogConfig?: { Path?: string } } };
  return HostConfig?.LogConfig?.Path || LogPath || undefined;
};

const isNotFound = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;

/** A container the agent froze itself: its freezer, and the container as it was then (null: found frozen after a restart). */
interface Held {
  freezer: Freezer;
  details: ContainerDetails | null;
}

/**
 * The agent's view of the container engine (Docker Engine API on Podman): Berth's containers of one host.
 *
 * Freezing and thawing go to the kernel's freezer of the container's cgroup, not through the
 * engine, wherever the agent can write it (it runs on the engine's machine, as root): that is
 * what the engine's pause does too (`runc pause`), without a call that queues behind every other
 * one at the engine and starts a runc process. On a loaded host an engine unpause took 1–1.2 s
 * of a frozen environment's wake (57 ms alone); the kernel's thaw is one file write. The engine
 * keeps saying such a container runs: list() and inspect() say it is frozen, and a stop or
 * removal thaws it first. Where the agent cannot reach the cgroup, the engine's pause is used.
 */
@Injectable()
export class ContainerRuntime {
  private readonly images = new Map<string, ImageFacts>();
  /** Containers frozen through their cgroup, by id. */
  private readonly held = new Map<string, Held>();
  /** Whether the containers found frozen at the first list (an earlier agent's) were taken in. */
  private adopted = false;
  /** Each container's log file, as the inspect that started or adopted it said (the agent follows it right after). */
  private readonly logFiles = new Map<string, string>();
  /** The host's containers as the engine's events keep them (see watched()). */
  private watch?: ContainerWatch;

  constructor(
    private readonly engine: ContainerEngine,
    private readonly disks: InstanceDisks,
    private readonly config: BerthConfig,
    private readonly cgroups: Cgroups,
  ) {}

  /**
   * This install's containers of a host. Containers made before they carried the install label
   * count as this install's (the host label was all they had).
   */
  async list(hostName: string): Promise<ContainerSummary[]> {
    const all = await this.engine.api.listContainers({ all: true, filters: { label: [`${LABELS.host}=${hostName}`] } });
    const containers = all.filter((c) => (c.Labels?.[LABELS.install] ?? this.config.installId) === this.config.installId);
    if (!this.adopted) {
      this.adopted = true;
      const frozen = this.cgroups.frozenContainers();
      for (const c of containers) {
        const freezer = frozen.get(c.Id);
        if (freezer && c.State === 'running' && !this.held.has(c.Id)) this.held.set(c.Id, { freezer, details: null });
      }
    }
    return containers.map((c) => {
      const paused = c.State === 'paused' || (c.State === 'running' && this.frozenHere(c.Id));
      return { id: c.Id, instanceId: c.Labels?.[LABELS.instance], running: c.State === 'running' && !paused, paused, labels: c.Labels ?? {} };
    });
  }

  /** Whether the agent froze the container through its cgroup and it is frozen still (not thawed, restarted or gone since). */
  private frozenHere(id: string): boolean {
    const held = this.held.get(id);
    if (!held) return false;
    if (this.cgroups.isFrozen(held.freezer)) return true;
    this.held.delete(id);
    return false;
  }

  /**
   * The containers of this agent's host, as list() gives them, but kept from the engine's events
   * and listed in full only every AGENT_CONTAINER_RESYNC_SECONDS (see ContainerWatch): what each
   * reconcile round reads.
   */
  async watched(hostName: string): Promise<ContainerSummary[]> {
    if (this.config.agent.containerResyncMs === 0) return this.list(hostName);
    this.watch ??= new ContainerWatch(
      {
        listAll: () => this.list(hostName),
        events: async () => (await this.engine.api.getEvents({ filters: { type: ['container'], label: [`${LABELS.host}=${hostName}`] } })) as NodeJS.ReadableStream,
        ours: (labels) => labels[LABELS.host] === hostName && (labels[LABELS.install] ?? this.config.installId) === this.config.installId,
      },
      this.config.agent.containerResyncMs,
    );
    return this.watch.list();
  }

  /** Stops following the engine's events. */
  closeWatch(): void {
    this.watch?.close();
    this.watch = undefined;
  }

  /** What an engine call of the agent's own just did to a container, for the watched view (not the event, later). */
  private noted(id: string, details: ContainerDetails | null, observedAt: number, labels?: Record<string, string>): void {
    this.watch?.note({ id: details?.id ?? id, state: !details ? 'gone' : details.paused ? 'paused' : details.running ? 'running' : 'exited', labels }, observedAt);
  }

  /** Inspects a container the agent just changed and notes what it saw for the watched view. */
  private async observe(id: string, labels?: Record<string, string>): Promise<ContainerDetails | null> {
    const observedAt = Date.now();
    const details = await this.inspect(id);
    this.noted(id, details, observedAt, labels);
    return details;
  }

  /** Makes the container's disk, then creates and starts the container; removes both again if it cannot start. */
  async run(spec: ContainerCreateOptions, disk: ContainerDisk): Promise<ContainerDetails> {
    await this.disks.create(disk.volume, disk.sizeMb, spec.Labels ?? {}, { image: spec.Image!, target: disk.target, user: spec.User ?? '' });
    let id: string | undefined;
    try {
      const container = await this.engine.api.createContainer(spec);
      id = container.id;
      await container.start();
    } catch (error) {
      if (id) await this.engine.api.getContainer(id).remove({ force: true }).catch(() => undefined);
      await this.disks.remove(disk.volume).catch(() => undefined);
      if (id) this.noted(id, null, Date.now());
      throw error;
    }
    return (await this.observe(id, spec.Labels))!;
  }

  async inspect(id: string): Promise<ContainerDetails | null> {
    try {
      const info = await this.engine.api.getContainer(id).inspect();
      const logFile = logFileIn(info);
      if (logFile) this.logFiles.set(info.Id, logFile);
      const binding = info.NetworkSettings?.Ports?.[`${CONTAINER_PORT}/tcp`]?.[0];
      // The engine says Running of a frozen container too, and knows nothing of the agent's own freezes.
      const paused = Boolean(info.State.Paused) || (info.State.Running && this.frozenHere(info.Id));
      return {
        id: info.Id,
        running: info.State.Running && !paused,
        paused,
        pid: info.State.Pid,
        exitCode: info.State.ExitCode,
        hostPort: binding?.HostPort ? Number(binding.HostPort) : null,
        startedAt: info.State.StartedAt ? new Date(info.State.StartedAt) : null,
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * Freezes a running container (the cgroup freezer): its processes stay, hold their memory
   * and get no CPU. Through its cgroup where the agent can (see the class), else the engine's pause.
   */
  async pause(id: string): Promise<void> {
    const observedAt = Date.now();
    const details = await this.inspect(id);
    const freezer = details?.running ? this.cgroups.freezerOf(details.pid, details.id) : null;
    if (details && freezer) {
      // Held from the first write: a list meanwhile sees it freezing, not running.
      this.held.set(details.id, { freezer, details });
      await this.cgroups.freeze(freezer).catch((error: Error) => {
        this.held.delete(details.id);
        throw error;
      });
    } else {
      await this.engine.api.getContainer(id).pause();
    }
    this.watch?.note({ id, state: 'paused' }, observedAt);
  }

  /** Thaws a container the agent froze through its cgroup; null when it did not, or it is not frozen any more. */
  private thawHeld(id: string): Held | null {
    const held = this.held.get(id);
    if (!held) return null;
    this.held.delete(id);
    return this.cgroups.isFrozen(held.freezer) && this.cgroups.thaw(held.freezer) ? held : null;
  }

  /** Thaws a frozen container; null when it is gone. One that was not frozen is fine. */
  async unpause(id: string): Promise<ContainerDetails | null> {
    const held = this.thawHeld(id);
    if (held?.details) {
      // As it was when frozen: the same process, port and start (a restart would have thawed its cgroup).
      const details = { ...held.details, running: true, paused: false };
      this.noted(id, details, Date.now());
      return details;
    }
    if (held) return this.observe(id);
    try {
      await this.engine.api.getContainer(id).unpause();
    } catch (error) {
      if (isNotFound(error)) {
        this.noted(id, null, Date.now());
        return null;
      }
      const details = await this.observe(id);
      if (!details || details.paused) throw error;
      return details;
    }
    return this.observe(id);
  }

  /** Thaws a container if it is frozen, so that it can be stopped (its process gets the SIGTERM). */
  private async thawIfPaused(id: string, paused: boolean | undefined): Promise<void> {
    this.thawHeld(id);
    if (paused) await this.engine.api.getContainer(id).unpause().catch(() => undefined);
  }

  /** Stops a container and keeps it (an instance put to sleep), frozen or not; one already stopped or gone is fine. */
  async stop(id: string, timeoutSeconds: number): Promise<void> {
    const observedAt = Date.now();
    try {
      const container = this.engine.api.getContainer(id);
      await this.thawIfPaused(id, (await container.inspect()).State?.Paused);
      await container.stop({ t: timeoutSeconds });
      this.watch?.note({ id, state: 'exited' }, observedAt);
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== 304 && status !== 404) throw error;
      this.watch?.note({ id, state: status === 404 ? 'gone' : 'exited' }, observedAt);
    }
  }

  /** Starts a kept, stopped container again (an instance woken): no create, no disk copy. */
  async start(id: string): Promise<ContainerDetails | null> {
    try {
      await this.engine.api.getContainer(id).start();
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) {
        this.noted(id, null, Date.now());
        return null;
      }
      if (status !== 304) throw error;
    }
    return this.observe(id);
  }

  /**
   * Stops (SIGTERM, then SIGKILL after `timeoutSeconds`) and removes the container and its
   * disk; a container already gone is fine (the reconciler prunes disks left without one).
   * `stopped` runs between the two (e.g. to read the container's last output).
   */
  async remove(id: string, timeoutSeconds: number, stopped?: () => Promise<void>): Promise<void> {
    const container = this.engine.api.getContainer(id);
    let name: string | undefined;
    let fullId = id;
    try {
      const info = await container.inspect();
      name = info.Name.replace(/^\//, '');
      fullId = info.Id;
      await this.thawIfPaused(id, info.State?.Paused);
      await container.stop({ t: timeoutSeconds });
    } catch (error) {
      if (isNotFound(error)) {
        this.noted(fullId, null, Date.now());
        return;
      }
      // 304: already stopped; anything else: remove by force below.
    }
    if (stopped) await stopped().catch(() => undefined);
    try {
      await container.remove({ force: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    this.logFiles.delete(fullId);
    this.noted(fullId, null, Date.now());
    if (name) await this.disks.remove(this.disks.volumeFor(name));
  }

  /**
   * Follows a container's output from its start until it exits: stdout and stderr, in order,
   * to `write`. Resolves with the exit code.
   */
  async follow(id: string, write: (chunk: Buffer) => void): Promise<number> {
    const container = this.engine.api.getContainer(id);
    const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
    const frames = new OutputFrames((_name, chunk) => write(chunk));
    stream.on('data', (chunk: Buffer) => frames.push(chunk));
    await new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return StatusCode;
  }

  /**
   * A container's output with the engine's timestamps, stdout and stderr apart, as entries
   * (lines, or parts of long ones): from `since` (or its start), and with `follow` until it
   * ends. Read from the engine's log file where this process can (AGENT_LOG_SOURCE=file), it is
   * followed until `until` says the container stopped (then read to its end) or the file is
   * removed; through the engine's API, until the container exits. Resolves when the output ends
   * or `signal` aborted the read.
   */
  async output(
    id: string,
    options: { follow: boolean; since?: Date; signal?: AbortSignal; until?: AbortSignal },
    emit: (entry: OutputEntry) => void,
  ): Promise<void> {
    const file = this.config.agent.logSource === 'file' ? await this.logFileOf(id) : null;
    if (file) {
      return readLogFile(file, options, (entry) =>
        emit({ stream: entry.stream, timeMs: Date.parse(entry.time), fine: entry.time.includes('.'), text: entry.text, partial: entry.partial }),
      );
    }
    const container = this.engine.api.getContainer(id);
    const stream = (await container.logs({
      follow: options.follow as true,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(options.since ? { since: Math.floor(options.since.getTime() / 1000) } : {}),
    })) as unknown as NodeJS.ReadableStream | Buffer;
    const frames = new OutputFrames((name, chunk) => entriesOfFrame(name, chunk, emit));
    if (Buffer.isBuffer(stream)) {
      frames.push(stream);
      return;
    }
    stream.on('data', (chunk: Buffer) => frames.push(chunk));
    await new Promise<void>((resolve) => {
      const abort = () => {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        resolve();
      };
      options.signal?.addEventListener('abort', abort, { once: true });
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
  }

  /** The engine's log file of a container, when this process can read it (it runs on the engine's host). */
  private async logFileOf(id: string): Promise<string | null> {
    const path = this.logFiles.get(id) ?? (await this.inspect(id).then(() => this.logFiles.get(id), () => undefined));
    if (!path) return null;
    return access(path, constants.R_OK).then(
      () => path,
      () => null,
    );
  }

  async kill(id: string): Promise<void> {
    await this.engine.api
      .getContainer(id)
      .kill()
      .catch(() => undefined);
  }

  /** The user an image runs as and its working directory, cached: images never change. */
  async imageFacts(image: string): Promise<ImageFacts> {
    let facts = this.images.get(image);
    if (facts === undefined) {
      const info = await this.engine.api.getImage(image).inspect();
      facts = { user: info.Config?.User ?? '', workingDir: info.Config?.WorkingDir ?? '' };
      this.images.set(image, facts);
    }
    return facts;
  }
}
