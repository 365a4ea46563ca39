import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { BerthConfig } from '@berth/config';

/** The channel LogStore.append notifies once per stored batch (never per line). */
export const LOG_LINES_CHANNEL = 'berth_log_lines';
/** After the listening connection fails, how long before it is opened again. */
const RECONNECT_MS = 2000;

/**
 * "New log lines were stored", from PostgreSQL's LISTEN/NOTIFY: every append notifies once, on
 * commit, whichever process wrote it, so a live tail reads right after a batch lands instead of
 * at its next poll. One listening connection per process, opened when the first follower waits.
 * Only a hint: followers still poll, so a lost connection or notification delays lines, never
 * loses them.
 */
@Injectable()
export class LogLineSignal implements OnModuleDestroy {
  private readonly logger = new Logger(LogLineSignal.name);
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryAt = 0;
  private closed = false;
  private waiters = new Set<() => void>();
  /** Counts notifications; a follower compares it before and after a read. */
  generation = 0;

  constructor(private readonly config: BerthConfig) {}

  /**
   * Resolves at the next notification after `since` (at once if one came already), after `ms`,
   * or when `signal` aborts, whichever is first.
   */
  wait(since: number, ms: number, signal: AbortSignal): Promise<void> {
    this.listen();
    if (this.generation !== since || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
    await this.connecting?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  private notified(): void {
    this.generation++;
    for (const wake of [...this.waiters]) wake();
  }

  private listen(): void {
    if (this.client || this.connecting || this.closed || Date.now() < this.retryAt) return;
    const client = new Client({ connectionString: this.config.database.url });
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      this.retryAt = Date.now() + RECONNECT_MS;
      if (!this.closed) this.logger.warn(`live log tails fall back to polling: ${error?.message ?? 'the listening connection closed'}`);
      void client.end().catch(() => undefined);
    };
    client.on('notification', () => this.notified());
    client.on('error', lost);
    client.on('end', () => lost());
    this.connecting = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN ${LOG_LINES_CHANNEL}`);
        if (this.closed) {
          await client.end();
          return;
        }
        this.client = client;
        // Lines stored while it connected: wake everyone once.
        this.notified();
      } catch (error) {
        this.retryAt = Date.now() + RECONNECT_MS;
        void client.end().catch(() => undefined);
        this.logger.warn(`live log tails fall back to polling: ${(error as Error).message}`);
      } finally {
        this.connecting = null;
      }
    })();
  }
}
