import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { PrismaService } from '@berth/db';
import { HaproxyProcess } from './haproxy.process';

/** One environment's backend counters, from HAProxy's `show stat`. */
export interface BackendActivity {
  environmentId: string;
  /** Sessions since this HAProxy process started. */
  sessions: number;
  /** Seconds since its last session, or null when it had none. */
  lastSessionSeconds: number | null;
}

/** Parses `show stat` CSV into the counters of environments' backends (`env_<id>`). */
export function parseBackendStats(csv: string): BackendActivity[] {
  const lines = csv.split('\n').filter(Boolean);
  const header = lines.find((line) => line.startsWith('# '));
  if (!header) return [];
  const columns = header.slice(2).split(',');
  const [px, sv, stot, lastsess] = ['pxname', 'svname', 'stot', 'lastsess'].map((name) => columns.indexOf(name));
  if ([px, sv, stot, lastsess].includes(-1)) return [];
  const out: BackendActivity[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const cells = line.split(',');
    if (cells[sv] !== 'BACKEND' || !cells[px]?.startsWith('env_')) continue;
    const last = Number(cells[lastsess]);
    out.push({ environmentId: cells[px].slice(4), sessions: Number(cells[stot]) || 0, lastSessionSeconds: cells[lastsess] === '' || !(last >= 0) ? null : last });
  }
  return out;
}

/**
 * When each environment last had a request, for the sleeper: every ROUTER_ACTIVITY_SECONDS the
 * router reads its HAProxy's per-backend session counters (no log parsing, no per-request
 * work) and writes Environment.lastRequestAt, in one statement, for the environments whose
 * count moved since the last read. Requests that reached the status server (a sleeping
 * environment's) count too: it is a server of the environment's backend.
 */
@Injectable()
export class RequestActivity implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RequestActivity');
  private readonly seen = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly haproxy: HaproxyProcess,
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.poll(), this.config.sleep.activityMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One read and write; returns how many environments had new requests. */
  async poll(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const stats = parseBackendStats(await this.haproxy.command(['show stat -1 2 -1']));
      const now = this.clock.now().getTime();
      const ids: string[] = [];
      const times: number[] = [];
      for (const s of stats) {
        // A count that moved (a reload starts a new process from zero, hence "moved", not "grew").
        if (this.seen.get(s.environmentId) !== s.sessions && s.lastSessionSeconds !== null) {
          ids.push(s.environmentId);
          times.push(now - s.lastSessionSeconds * 1000);
        }
        this.seen.set(s.environmentId, s.sessions);
      }
      if (this.seen.size > stats.length * 2 + 100) for (const id of this.seen.keys()) if (!stats.some((s) => s.environmentId === id)) this.seen.delete(id);
      if (ids.length) {
        await this.db.$executeRawUnsafe(
          `UPDATE "Environment" e SET "lastRequestAt" = to_timestamp(v.at / 1000.0) AT TIME ZONE 'UTC'
           FROM unnest($1::uuid[], $2::float8[]) AS v(id, at)
           WHERE e.id = v.id AND (e."lastRequestAt" IS NULL OR e."lastRequestAt" < to_timestamp(v.at / 1000.0) AT TIME ZONE 'UTC')`,
          ids,
          times,
        );
      }
      return ids.length;
    } catch (error) {
      this.logger.warn(`could not read request activity from HAProxy: ${(error as Error).message}`);
      return 0;
    } finally {
      this.running = false;
    }
  }
}
