import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { NewLogLine } from './log-line';
import { LogStore } from './log-store';

const FLUSH_EVERY_MS = 200;
/** Up to this many lines per statement: at 20,000 lines/s a flush every 200 ms holds 4,000. */
const BATCH_LINES = 5000;
/** Lines held while the database cannot take them (10 s at 20,000 lines/s); past this the oldest are dropped. */
const MAX_PENDING = 200_000;

/**
 * Buffers lines and stores them in batches (every 200 ms or 5,000 lines), one batch at a
 * time, in the order written. A batch the database refuses is kept and tried again with the
 * next one, up to a bound.
 */
@Injectable()
export class LogWriter implements OnModuleDestroy {
  private readonly logger = new Logger('LogWriter');
  private pending: NewLogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private lost = 0;
  /** A flush is queued behind the running one: it will take every line written until it starts. */
  private queued = false;
  /** After shutdown nothing is scheduled any more: a late line or a failed batch must not retry for ever. */
  private closed = false;

  constructor(private readonly store: LogStore) {}

  write(line: NewLogLine): void {
    this.pending.push(line);
    if (this.pending.length > MAX_PENDING) {
      // A tenth at once: dropping one line per line written would shift the whole backlog each time.
      const drop = this.pending.length - Math.floor(MAX_PENDING * 0.9);
      this.lost += drop;
      this.pending.splice(0, drop);
    }
    if (this.closed) return;
    // One flush queued is enough (not one per line written while a batch is being stored).
    if (this.pending.length >= BATCH_LINES) {
      if (!this.queued) void this.flush();
    } else if (!this.timer) this.timer = setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** Stores everything written so far; resolves once it is stored (or failed). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queued) return this.chain;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      while (this.pending.length) {
        const batch = this.pending.splice(0, BATCH_LINES);
        try {
          await this.store.append(batch);
        } catch (error) {
          this.pending.unshift(...batch);
          this.logger.warn(`could not store ${this.pending.length} log lines, trying again: ${(error as Error).message}`);
          if (!this.timer && !this.closed) this.timer = setTimeout(() => void this.flush(), 2000).unref();
          return;
        }
      }
      if (this.lost) {
        this.logger.warn(`dropped ${this.lost} log lines while the database could not take them`);
        this.lost = 0;
      }
    });
    return this.chain;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
