import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '@berth/db';
import { RedisService } from '@berth/redis';

/** Final state of a build, the last entry of its live log. */
export interface BuildEnd {
  status: 'succeeded' | 'failed';
  failureReason: string | null;
}

/**
 * One entry of a build's live log: text (whole lines), the build's end, the log closed (what
 * follows the build, its release, is over too), or nothing new for a while.
 */
export type LogEntry = { id: string; text: string } | { id: string; end: BuildEnd } | { id: string; closed: true } | { idle: true };

/** Live logs stay in Redis this long after their last entry; the Build row keeps the log for good. */
const LIVE_TTL_SECONDS = 24 * 3600;
/** The stored log stops growing past this; the live stream still carries everything. */
export const MAX_STORED_LOG_CHARS = 2_000_000;
const FLUSH_EVERY_MS = 1000;

/**
 * A build's log. Each chunk goes to a Redis stream (live: the push, the SSE endpoint and any
 * other process can follow it from the start) and is appended to the Build row (kept). Other
 * libraries append to it with `append`, e.g. the release that follows a successful build.
 */
@Injectable()
export class BuildLog {
  private readonly logger = new Logger('BuildLog');

  constructor(
    private readonly redis: RedisService,
    private readonly db: PrismaService,
  ) {}

  private key(buildId: string): string {
    return this.redis.key('build-log', buildId);
  }

  /** Appends text (a line or several) to the live stream and the stored log of a build. */
  async append(buildId: string, text: string): Promise<void> {
    const chunk = asLines(text);
    await this.publish(buildId, chunk);
    await this.store(buildId, chunk);
  }

  /** A buffered writer for a build in progress: live at once, stored about every second. */
  writer(buildId: string): BuildLogWriter {
    return new BuildLogWriter(buildId, this, this.logger);
  }

  async publish(buildId: string, chunk: string): Promise<void> {
    const key = this.key(buildId);
    await this.redis.client.multi().xadd(key, '*', 'l', chunk).expire(key, LIVE_TTL_SECONDS).exec();
  }

  async store(buildId: string, chunk: string): Promise<void> {
    await this.db.$executeRaw`UPDATE "Build" SET log = log || ${chunk} WHERE id = ${buildId}::uuid AND length(log) < ${MAX_STORED_LOG_CHARS}`;
  }

  /** Marks the end of the live log; followers stop here. */
  async end(buildId: string, end: BuildEnd): Promise<void> {
    const key = this.key(buildId);
    await this.redis.client.multi().xadd(key, '*', 'e', JSON.stringify(end)).expire(key, LIVE_TTL_SECONDS).exec();
  }

  /**
   * Marks the live log closed: nothing more will be appended. Lines may follow a successful
   * build's end (its release appends them); whoever decides what follows the build (the push)
   * closes the log once that is over, or at once when nothing will follow.
   */
  async close(buildId: string): Promise<void> {
    const key = this.key(buildId);
    await this.redis.client.multi().xadd(key, '*', 'c', '1').expire(key, LIVE_TTL_SECONDS).exec();
  }

  /** Whether the live log of a build is still in Redis (it expires a day after the build). */
  async isLive(buildId: string): Promise<boolean> {
    return (await this.redis.client.exists(this.key(buildId))) === 1;
  }

  /** Text entries after entry `after`, without waiting. */
  async readAfter(buildId: string, after: string): Promise<string[]> {
    const entries = (await this.redis.client.xrange(this.key(buildId), `(${after}`, '+')) as [string, string[]][];
    return entries.filter(([, fields]) => fields[0] === 'l').map(([, fields]) => fields[1] ?? '');
  }

  /**
   * Follows a build's live log from the beginning (or after entry `after`), yielding text, the
   * end, and `{ idle: true }` after each second without news so callers can check other things.
   * It never stops by itself: the caller stops after the end, or aborts with `signal`.
   */
  async *follow(buildId: string, options: { after?: string; signal?: AbortSignal; blockMs?: number } = {}): AsyncGenerator<LogEntry> {
    const connection = this.redis.connect();
    const key = this.key(buildId);
    let last = options.after ?? '0';
    try {
      while (!options.signal?.aborted) {
        const result = (await connection.xread('COUNT', 1000, 'BLOCK', options.blockMs ?? 1000, 'STREAMS', key, last)) as
          | [string, [string, string[]][]][]
          | null;
        const entries = result?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          yield { idle: true };
          continue;
        }
        for (const [id, fields] of entries) {
          last = id;
          const field = fields[0];
          const value = fields[1] ?? '';
          if (field === 'e') yield { id, end: JSON.parse(value) as BuildEnd };
          else if (field === 'c') yield { id, closed: true };
          else yield { id, text: value };
        }
      }
    } finally {
      connection.disconnect();
    }
  }
}

/** Buffers the stored log of a running build; the live stream gets every chunk at once, in order. */
export class BuildLogWriter {
  private pending = '';
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly buildId: string,
    private readonly log: BuildLog,
    private readonly logger: Logger,
  ) {}

  /** Writes text (whole lines are added a newline if missing). */
  write(text: string): void {
    if (!text) return;
    const chunk = asLines(text);
    this.enqueue(() => this.log.publish(this.buildId, chunk));
    this.pending += chunk;
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  /** Berth's own lines, Heroku style: "-----> Building main". */
  step(text: string): void {
    this.write(`-----> ${text}`);
  }

  /** Detail lines under a step. */
  detail(text: string): void {
    this.write(text.split('\n').map((line) => `       ${line}`).join('\n'));
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const chunk = this.pending;
    this.pending = '';
    if (chunk) this.enqueue(() => this.log.store(this.buildId, chunk));
    await this.chain;
  }

  private enqueue(task: () => Promise<unknown>): void {
    this.chain = this.chain.then(task).catch((error) => this.logger.warn(`log of build ${this.buildId}: ${(error as Error).message}`));
  }
}

/** Text as whole lines: carriage-return progress redraws dropped, a final newline ensured. */
export function asLines(text: string): string {
  const lines = text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => (line.includes('\r') ? (line.split('\r').filter(Boolean).pop() ?? '') : line));
  const joined = lines.join('\n');
  return joined.endsWith('\n') ? joined : `${joined}\n`;
}
