import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { LineRateLimit, LogStore, LogWriter, truncateLine } from '@berth/logs';
import { ContainerRuntime } from './container-runtime';
import { OutputEntry } from './output-frames';

/** Which instance a container runs, for its log lines. */
export interface InstanceRef {
  environmentId: string;
  processType: string;
  /** web.1 */
  name: string;
  release: number;
}

interface Attachment {
  ref: InstanceRef;
  limit: LineRateLimit;
  abort: AbortController;
  /** Aborted when the container has stopped: read what is left of its output, then end. */
  until: AbortController;
  /** Resolves when the container's output has ended (it stopped) or the read was aborted. */
  done: Promise<void>;
  ended: boolean;
  lastTime: number;
}

/** How long the agent waits for a stopped container's last lines before removing it. */
const DRAIN_TIMEOUT_MS = 5000;

/**
 * Ships each container's output to the log store: it follows stdout and stderr from the
 * container's start (or, for containers adopted after an agent restart, from the last line
 * stored), cuts long lines, drops lines over the per-instance rate (counting them in one
 * Berth line), and writes Berth's own events about the instance. Before a container is
 * removed, `drain` waits for its last lines, so what an app printed before it died is kept.
 */
@Injectable()
export class LogShipper implements OnModuleDestroy {
  private readonly logger = new Logger(LogShipper.name);
  private readonly attached = new Map<string, Attachment>();
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly writer: LogWriter,
    private readonly store: LogStore,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
  ) {
    // Floods that ended with nothing printed after them are reported here.
    this.ticker = setInterval(() => {
      for (const attachment of this.attached.values()) this.reportDrops(attachment, false);
    }, 1000);
    this.ticker.unref();
  }

  /** Berth's own line about an instance ("web.1 crashed: exited with code 1"). */
  event(ref: InstanceRef, text: string, time = this.clock.now()): void {
    this.writer.write({ environmentId: ref.environmentId, time, source: 'berth', processType: ref.processType, instance: ref.name, release: ref.release, text });
  }

  isAttached(containerId: string): boolean {
    const attachment = this.attached.get(containerId);
    return Boolean(attachment && !attachment.ended);
  }

  /**
   * Follows a container's output unless already following it. `resume` (an adopted container)
   * starts after the newest line stored for the instance instead of at the container's start.
   */
  attach(containerId: string, ref: InstanceRef, options: { resume?: boolean } = {}): void {
    const existing = this.attached.get(containerId);
    if (existing && !existing.ended) return;
    const attachment: Attachment = {
      ref,
      limit: existing?.limit ?? new LineRateLimit(this.config.logs.linesPerSecond),
      abort: new AbortController(),
      until: new AbortController(),
      done: Promise.resolve(),
      ended: false,
      lastTime: existing?.lastTime ?? 0,
    };
    this.attached.set(containerId, attachment);
    attachment.done = (async () => {
      const since = existing?.lastTime ? new Date(existing.lastTime) : options.resume ? await this.store.lastAppLineAt(ref.environmentId, ref.name).catch(() => null) : null;
      await this.read(containerId, attachment, { follow: true, since: since ?? undefined });
    })()
      .catch((error) => this.logger.warn(`output of ${ref.name} (${containerId.slice(0, 12)}): ${(error as Error).message}`))
      .finally(() => {
        attachment.ended = true;
      });
  }

  /**
   * The container has stopped: waits for the rest of its output (reading what is left when it
   * was not followed), reports dropped lines, and forgets it. Call before removing it.
   */
  async drain(containerId: string, ref?: InstanceRef): Promise<void> {
    const attachment = this.attached.get(containerId);
    if (!attachment && ref) {
      // Not followed (the agent restarted since): read what it wrote after the last stored line.
      const since = await this.store.lastAppLineAt(ref.environmentId, ref.name).catch(() => null);
      const fresh: Attachment = { ref, limit: new LineRateLimit(this.config.logs.linesPerSecond), abort: new AbortController(), until: new AbortController(), done: Promise.resolve(), ended: false, lastTime: 0 };
      await this.read(containerId, fresh, { follow: false, since: since ?? undefined }).catch(() => undefined);
      this.reportDrops(fresh, true);
      return;
    }
    if (!attachment) return;
    attachment.until.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([attachment.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)))]);
    clearTimeout(timer);
    attachment.abort.abort();
    this.reportDrops(attachment, true);
    this.attached.delete(containerId);
  }

  /** Forgets containers that are gone without a drain. */
  forgetExcept(containerIds: Set<string>): void {
    for (const [id, attachment] of this.attached) {
      if (!containerIds.has(id) && attachment.ended) {
        this.reportDrops(attachment, true);
        this.attached.delete(id);
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.ticker);
    for (const attachment of this.attached.values()) attachment.abort.abort();
    await this.writer.flush();
  }

  private async read(containerId: string, attachment: Attachment, options: { follow: boolean; since?: Date }): Promise<void> {
    const max = this.config.logs.maxLineBytes;
    type Stamp = { ms: number; fine: boolean } | undefined;
    // A line the engine wrote in parts: its text so far, and the first part's stamp.
    const parts = { stdout: { text: '', stamp: undefined as Stamp }, stderr: { text: '', stamp: undefined as Stamp } };
    const take = (stream: 'stdout' | 'stderr', text: string, stamp: Stamp) => {
      let time: number;
      if (stamp?.fine) time = stamp.ms;
      else {
        time = this.clock.now().getTime();
        // Podman's API stamps whole seconds: while following live, the arrival time is the finer one.
        if (stamp && !(options.follow && time >= stamp.ms && time < stamp.ms + 2000)) time = stamp.ms;
      }
      // Lines of one instance stay in the order written.
      time = Math.max(time, attachment.lastTime);
      attachment.lastTime = time;
      this.reportDrops(attachment, false, time);
      if (!attachment.limit.admit(time)) return;
      const { ref } = attachment;
      if (text.endsWith('\r')) text = text.slice(0, -1);
      this.writer.write({
        environmentId: ref.environmentId,
        time: new Date(time),
        source: 'app',
        processType: ref.processType,
        instance: ref.name,
        release: ref.release,
        stream,
        text: truncateLine(text, max),
      });
    };
    await this.runtime.output(containerId, { ...options, signal: attachment.abort.signal, until: attachment.until.signal }, (entry: OutputEntry) => {
      const part = parts[entry.stream];
      const stamp = entry.timeMs === null ? undefined : { ms: entry.timeMs, fine: entry.fine };
      if (entry.partial) {
        if (!part.text) part.stamp = stamp;
        part.text += entry.text;
        // An endless line would hold memory: it is cut (and marked) once past twice the limit.
        if (part.text.length > max * 2) {
          take(entry.stream, part.text, part.stamp);
          part.text = '';
        }
        return;
      }
      if (part.text) {
        take(entry.stream, part.text + entry.text, part.stamp ?? stamp);
        part.text = '';
      } else take(entry.stream, entry.text, stamp);
    });
    for (const name of ['stdout', 'stderr'] as const) if (parts[name].text) take(name, parts[name].text, parts[name].stamp);
  }

  private reportDrops(attachment: Attachment, final: boolean, now = this.clock.now().getTime()): void {
    const dropped = attachment.limit.report(now, final);
    if (dropped) {
      this.event(attachment.ref, `${attachment.ref.name} logged too fast: ${dropped} lines dropped (the limit is ${this.config.logs.linesPerSecond} lines per second per instance)`);
    }
  }
}
