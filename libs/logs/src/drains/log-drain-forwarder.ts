import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock, Every } from '@berth/common';
import { PrismaService } from '@berth/db';
import { lineJson } from '../log-line';
import { LogStore } from '../log-store';
import { DrainTransport } from './drain-transport';

/** How often the forwarder looks for drains with new lines. */
const ROUND_MS = 1000;
/** Lines per POST. */
export const DRAIN_BATCH = 500;
/** POSTs per drain per round, so one busy environment cannot hold a drain's turn for ever. */
const BATCHES_PER_ROUND = 20;
/** After this many failures in a row the drain shows its last error. */
export const FAILURES_BEFORE_ERROR = 3;
const BACKOFF_FIRST_MS = 1000;
/** The slow pace a drain that keeps failing is tried at. */
export const BACKOFF_MAX_MS = 5 * 60_000;

/** Wait before the next try after `failures` failures in a row: 1 s, 2 s, 4 s … up to 5 min. */
export function drainBackoffMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(failures - 1, 20));
}

interface Drain {
  id: string;
  environmentId: string;
  url: string;
  cursor: bigint;
  failures: number;
}

/**
 * Forwards each environment's new log lines to its drains (api role). Each drain has its own
 * cursor in PostgreSQL (the last line delivered), so a restart resumes where delivery stopped,
 * and its own turn: a slow or failing receiver delays only its own drain, never another drain
 * or the writing of lines. Delivery is at least once: a batch whose answer is lost, or two api
 * processes racing for a drain, can send lines twice (they carry their ids to dedupe on).
 */
@Injectable()
export class LogDrainForwarder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LogDrainForwarder.name);
  private readonly every = new Every(ROUND_MS, () => this.round(), (error) => this.logger.warn(`log drains: ${error.message}`));
  /** Drains being delivered now, and when a failing drain may be tried next. */
  private readonly busy = new Map<string, Promise<void>>();
  private readonly notBefore = new Map<string, number>();

  constructor(
    private readonly db: PrismaService,
    private readonly store: LogStore,
    private readonly transport: DrainTransport,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.every.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.every.stop();
    await Promise.allSettled([...this.busy.values()]);
  }

  /** Starts a delivery for every drain that is not busy and not waiting out a backoff; resolves when those end. */
  async round(): Promise<void> {
    const drains: Drain[] = await this.db.logDrain.findMany({ select: { id: true, environmentId: true, url: true, cursor: true, failures: true } });
    const now = this.clock.now().getTime();
    const started: Promise<void>[] = [];
    for (const drain of drains) {
      if (this.busy.has(drain.id) || (this.notBefore.get(drain.id) ?? 0) > now) continue;
      const delivery = this.deliver(drain)
        .catch((error: Error) => this.logger.warn(`log drain ${drain.id}: ${error.message}`))
        .finally(() => this.busy.delete(drain.id));
      this.busy.set(drain.id, delivery);
      started.push(delivery);
    }
    const known = new Set(drains.map((d) => d.id));
    for (const id of this.notBefore.keys()) if (!known.has(id)) this.notBefore.delete(id);
    await Promise.all(started);
  }

  private async deliver(drain: Drain): Promise<void> {
    let { cursor, failures } = drain;
    for (let batch = 0; batch < BATCHES_PER_ROUND; batch++) {
      const lines = await this.store.after(drain.environmentId, {}, cursor, DRAIN_BATCH);
      if (!lines.length) return;
      const last = BigInt(lines[lines.length - 1].id);
      try {
        await this.transport.post(drain.url, JSON.stringify(lines.map(lineJson)), 'application/json', { 'x-berth-drain-id': drain.id });
      } catch (error) {
        failures += 1;
        this.notBefore.set(drain.id, this.clock.now().getTime() + drainBackoffMs(failures));
        const message = (error as Error).message.slice(0, 500);
        await this.db.logDrain.updateMany({
          where: { id: drain.id },
          data: failures >= FAILURES_BEFORE_ERROR ? { failures, lastError: message, lastErrorAt: this.clock.now() } : { failures },
        });
        return;
      }
      this.notBefore.delete(drain.id);
      // Only forward: a racing process that got further is not set back.
      await this.db.logDrain.updateMany({
        where: { id: drain.id, cursor: { lt: last } },
        data: { cursor: last, failures: 0, lastError: null, lastErrorAt: null, lastDeliveredAt: this.clock.now() },
      });
      cursor = last;
      failures = 0;
      if (lines.length < DRAIN_BATCH) return;
    }
  }
}
