import { Injectable } from '@nestjs/common';
import { AppAccess } from '@berth/tenant-apps';
import { PrismaService } from '@berth/db';
import { LogLine } from './log-line';
import { LogLineSignal } from './log-line-signal';
import { LogFilter } from './log-query';
import { LogStore } from './log-store';

const POLL_MS = 500;
const BATCH = 2000;

/** Reading an environment's log history, scoped to the caller's teams (another team's environment is a 404). */
@Injectable()
export class LogsService {
  constructor(
    private readonly access: AppAccess,
    private readonly store: LogStore,
    private readonly db: PrismaService,
    private readonly signal: LogLineSignal,
  ) {}

  async environment(userId: string, appName: string, envName: string) {
    return (await this.access.environment(userId, appName, envName, 'viewer')).environment;
  }

  tail(environmentId: string, filter: LogFilter, tail: number): Promise<LogLine[]> {
    return this.store.tail(environmentId, filter, tail);
  }

  /**
   * Lines as they are stored, after `afterId` (or after everything stored now), until `signal`
   * aborts or the environment is deleted. Yields batches; an empty batch means nothing new
   * for a while (callers send keep-alives).
   */
  async *follow(environmentId: string, filter: LogFilter, options: { afterId?: bigint; signal: AbortSignal }): AsyncGenerator<LogLine[]> {
    let last = options.afterId ?? (await this.store.lastId());
    let polls = 0;
    // Live lines only: \`until\` is for history, and \`since\` is already behind us.
    const live: LogFilter = { ...filter, until: undefined };
    while (!options.signal.aborted) {
      // Ids become visible in order (LogStore.append), so nothing can appear below \`last\` later.
      const seen = this.signal.generation;
      const lines = await this.store.after(environmentId, live, last, BATCH);
      if (lines.length) last = BigInt(lines[lines.length - 1].id);
      yield lines;
      if (++polls % 60 === 0 && !(await this.db.environment.findUnique({ where: { id: environmentId }, select: { id: true } }))) return;
      // Woken by the next stored batch (LogLineSignal), or polls.
      if (lines.length < BATCH) await this.signal.wait(seen, POLL_MS, options.signal);
    }
  }
}
