import { BUCKETS, bucketOf, compact } from './histogram';
import type { EnvironmentRequestMinute } from './metric-store';

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export function statusClass(status: number): StatusClass | null {
  if (status >= 100 && status < 600) return `${Math.floor(status / 100)}xx` as StatusClass;
  return null;
}

/**
 * Requests counted per (environment, minute) in memory until taken (pure). Taking empties it:
 * what is taken is added to the stored minutes, so taking the current minute several times
 * is fine. Its size is bounded by environments × minutes between takes.
 */
export class RequestMinutes {
  private readonly minutes = new Map<string, EnvironmentRequestMinute & { counts: number[] }>();

  add(environmentId: string, time: Date, status: number, ms: number): void {
    const minute = Math.floor(time.getTime() / 60_000) * 60_000;
    const key = `${environmentId} ${minute}`;
    let m = this.minutes.get(key);
    if (!m) {
      m = { environmentId, minute: new Date(minute), count: 0, status2xx: 0, status3xx: 0, status4xx: 0, status5xx: 0, latency: [], counts: new Array(BUCKETS).fill(0) };
      this.minutes.set(key, m);
    }
    m.count++;
    const cls = statusClass(status);
    if (cls === '2xx') m.status2xx++;
    else if (cls === '3xx') m.status3xx++;
    else if (cls === '4xx') m.status4xx++;
    else if (cls === '5xx') m.status5xx++;
    if (ms >= 0) m.counts[bucketOf(ms)]++;
  }

  get size(): number {
    return this.minutes.size;
  }

  take(): EnvironmentRequestMinute[] {
    const rows = [...this.minutes.values()].map(({ counts, ...row }) => ({ ...row, latency: compact(counts) }));
    this.minutes.clear();
    return rows;
  }
}
