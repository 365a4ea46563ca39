import { Logger } from '@nestjs/common';
import { LABELS } from '../container-spec';
import type { ContainerSummary } from './container-runtime';

/**
 * One change of a container: from the engine's event stream (`time` its timeNano), or noted by
 * the agent itself right after an engine call returned (`time` then). States are absolute (not
 * toggles), so an event applied twice, or replayed after a list that already saw it, is harmless.
 */
export interface ContainerChange {
  id: string;
  /** Nanoseconds since the epoch. */
  time: number;
  /** What it is now; `gone` removed. */
  state: 'created' | 'running' | 'paused' | 'exited' | 'gone';
  /** Its labels, when known (an engine event carries them among its attributes). */
  labels?: Record<string, string>;
}

/** The engine's event (Docker Engine API, as Podman sends it) as a change, or null when it changes nothing we keep. */
export function changeOfEvent(event: unknown): ContainerChange | null {
  const e = event as { Type?: string; Action?: string; status?: string; id?: string; timeNano?: number; time?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  if (e?.Type !== undefined && e.Type !== 'container') return null;
  const id = e?.Actor?.ID ?? e?.id;
  const action = e?.Action ?? e?.status;
  if (!id || !action) return null;
  const state = STATE_AFTER[action];
  if (!state) return null;
  const { name: _name, image: _image, podId: _podId, containerExitCode: _exit, ...labels } = e.Actor?.Attributes ?? {};
  return { id, time: e.timeNano ?? (e.time ?? 0) * 1e9, state, labels };
}

/** What a container is after each engine action that changes it (others, like kill or exec, change nothing here). */
const STATE_AFTER: Record<string, ContainerChange['state']> = {
  create: 'created',
  start: 'running',
  restart: 'running',
  unpause: 'running',
  pause: 'paused',
  die: 'exited',
  died: 'exited',
  stop: 'exited',
  cleanup: 'exited',
  remove: 'gone',
  destroy: 'gone',
};

interface Entry extends ContainerSummary {
  /** The newest change applied (ns): an older one that arrives later is not news. */
  time: number;
}

export interface ContainerWatchSource {
  /** Every container of the host, straight from the engine (the slow call this saves). */
  listAll(): Promise<ContainerSummary[]>;
  /** The engine's container events of the host, from now on, as a stream of JSON lines. */
  events(): Promise<NodeJS.ReadableStream>;
  /** Whether a container with these labels is one this install keeps (another install's are left alone). */
  ours(labels: Record<string, string>): boolean;
}

/** A full list is due no sooner than this many times its own duration after the last (10: at most a tenth of the engine's time). */
const LIST_SHARE = 10;

/**
 * A host's containers kept from the engine's event stream, so the agent's rounds (every two
 * seconds, and at once on every placement) do not each list every container: on Podman a full
 * list took 2.5–7 s at 340 containers on this 2-core host, and rounds listing back to back kept
 * the engine busy (1.2 cores) and made every start wait for it. The view is seeded by a full list
 * made after the stream is open (events that arrive during the list are applied after it), kept
 * by events and by what the agent notes right after its own engine calls (so a round never sees a
 * container it just started as not yet started), and listed in full again every `resyncMs` (or
 * ten times as long as the last list took, if more), beside the rounds, and whenever the stream
 * ends or fails, before the round goes on: a missed event costs at most one resync of staleness.
 */
export class ContainerWatch {
  private readonly logger = new Logger(ContainerWatch.name);
  private readonly containers = new Map<string, Entry>();
  /** When each container went (ns): a late event of a removed container does not bring it back. */
  private readonly gone = new Map<string, number>();
  private stream?: NodeJS.ReadableStream;
  private live = false;
  private seededAt = -Infinity;
  /** Changes that came while a full list ran: applied after it. */
  private pending: ContainerChange[] | null = null;
  private seeding?: Promise<void>;
  private closed = false;
  /** How long the last full list took (ms): resyncs are spaced so that they take at most 1 / LIST_SHARE of the engine's time. */
  private lastListMs = 0;

  constructor(
    private readonly source: ContainerWatchSource,
    private readonly resyncMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The host's containers: from the events, or from a full list when the view is not live. A
   * live view due for its resync is returned as it is, and the full list runs beside the rounds:
   * on Podman a list reads every container (2.2–4.4 s at 900 of them on this 2-core host, most
   * of them sleepers' stopped ones), and rounds that waited for it started nothing meanwhile.
   */
  async list(): Promise<ContainerSummary[]> {
    if (!this.live) await this.resync();
    else if (this.now() - this.seededAt >= Math.max(this.resyncMs, LIST_SHARE * this.lastListMs)) {
      this.resync().catch((error: Error) => this.logger.warn(`listing the containers in full failed (${error.message}); the view stays as the engine's events keep it`));
    }
    return [...this.containers.values()].map(({ time: _time, ...summary }) => summary);
  }

  private resync(): Promise<void> {
    this.seeding ??= this.seed().finally(() => (this.seeding = undefined));
    return this.seeding;
  }

  /**
   * A change the agent made itself (its engine call returned): applied now, not when its event
   * comes. `observedAt` (ms) is when the call that saw this state began: an event after it (the
   * container exited right after its start was seen) is newer news. A removal counts from now.
   */
  note(change: Omit<ContainerChange, 'time'>, observedAt = this.now()): void {
    this.arrived({ ...change, time: (change.state === 'gone' ? this.now() : observedAt) * 1e6 });
  }

  close(): void {
    this.closed = true;
    this.live = false;
    (this.stream as { destroy?: () => void } | undefined)?.destroy?.();
    this.stream = undefined;
  }

  private async seed(): Promise<void> {
    if (!this.stream && !this.closed) await this.connect();
    this.pending = [];
    const startedAt = this.now() * 1e6;
    let listed: ContainerSummary[];
    try {
      listed = await this.source.listAll();
      this.lastListMs = this.now() - startedAt / 1e6;
    } finally {
      const during = this.pending;
      this.pending = null;
      if (listed!) {
        // The list began after every change applied so far, so it replaces them; the changes
        // that came while it ran (newer than its start) are applied again on top of it.
        this.containers.clear();
        for (const c of listed) this.containers.set(c.id, { ...c, time: startedAt });
        for (const [id, time] of this.gone) if (time < startedAt) this.gone.delete(id);
      }
      for (const change of during) this.apply(change);
    }
    this.seededAt = this.now();
    this.live = Boolean(this.stream);
  }

  private async connect(): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.source.events();
    } catch (error) {
      this.logger.warn(`the container engine's events cannot be followed (${(error as Error).message}); every round lists the containers instead`);
      return;
    }
    this.stream = stream;
    let rest = '';
    stream.on('data', (chunk: Buffer | string) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        let change: ContainerChange | null = null;
        try {
          change = changeOfEvent(JSON.parse(line));
        } catch {
          continue;
        }
        if (change) this.arrived(change);
      }
    });
    const ended = () => {
      if (this.stream !== stream) return;
      // Not live: the next list is a full one, and connects again.
      this.stream = undefined;
      this.live = false;
    };
    stream.on('end', ended);
    stream.on('close', ended);
    stream.on('error', ended);
  }

  private arrived(change: ContainerChange): void {
    if (this.pending) this.pending.push(change);
    this.apply(change);
  }

  private apply(change: ContainerChange): void {
    const known = this.containers.get(change.id);
    if (known && change.time < known.time) return;
    const goneAt = this.gone.get(change.id);
    if (goneAt !== undefined && change.time <= goneAt) return;
    if (change.state === 'gone') {
      this.containers.delete(change.id);
      this.gone.set(change.id, change.time);
      return;
    }
    const labels = known?.labels ?? change.labels;
    // An event of a container never seen, without its labels (or another install's): the next full list sees it.
    if (!labels || !this.source.ours(labels)) return;
    this.containers.set(change.id, {
      id: change.id,
      instanceId: known?.instanceId ?? labels[LABELS.instance],
      running: change.state === 'running',
      paused: change.state === 'paused',
      labels,
      time: change.time,
    });
  }
}
