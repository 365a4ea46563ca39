import { invalidInput } from '@berth/common';
import { mergeInto, percentile } from './histogram';
import type { InstanceSeries, MetricsAnswer, MetricsPeriod, RequestPoint } from './metrics.types';

export type { InstanceSeries, MetricsAnswer, RequestPoint } from './metrics.types';

/** The periods of GET …/metrics and the width of their points. */
export const PERIODS = {
  '1h': { seconds: 3600, stepSeconds: 60 },
  '24h': { seconds: 86_400, stepSeconds: 300 },
  '7d': { seconds: 7 * 86_400, stepSeconds: 3600 },
} as const satisfies Record<MetricsPeriod, { seconds: number; stepSeconds: number }>;
export type Period = keyof typeof PERIODS;

/** A stored minute of one environment's requests. */
export interface RequestMinute {
  minute: Date;
  count: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  latency: number[];
}

/** A stored minute of one instance. */
export interface InstanceMinute {
  instance: string;
  minute: Date;
  samples: number;
  cpuPercent: number | null;
  memoryMb: number | null;
  memoryLimitMb: number;
  restarts: number;
  oomKills: number;
}

/** The window of a period ending now: whole steps, the last one holding now. */
export function periodWindow(raw: unknown, now: Date): { period: Period; stepSeconds: number; from: Date; to: Date } {
  const value = raw === undefined ? '1h' : String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
  if (!Object.hasOwn(PERIODS, value)) throw invalidInput({ period: `must be one of ${Object.keys(PERIODS).join(', ')} (the last hour, day or week)` }, 'invalid_period');
  const period = value as Period;
  const { seconds, stepSeconds } = PERIODS[period];
  const stepMs = stepSeconds * 1000;
  const to = new Date(Math.floor(now.getTime() / stepMs) * stepMs + stepMs);
  return { period, stepSeconds, from: new Date(to.getTime() - seconds * 1000), to };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The answer of GET …/metrics from stored minutes (pure). Requests: one point per step, in
 * time order, every step present; a step without requests has zero counts and null
 * percentiles. Percentiles come from the step's merged histograms. Instances: one series per
 * instance name; a point per step in which it was sampled (steps where it did not run are
 * absent); CPU is the mean of its samples, memory the highest minute's mean (the peak that
 * matters against the limit); restarts and OOM kills are totals over the period; the limit is
 * the newest one.
 */
export function buildSeries(window: ReturnType<typeof periodWindow>, requestMinutes: RequestMinute[], instanceMinutes: InstanceMinute[]): MetricsAnswer {
  const { from, to, stepSeconds, period } = window;
  const stepMs = stepSeconds * 1000;
  const steps = Math.round((to.getTime() - from.getTime()) / stepMs);
  const stepOf = (time: Date) => Math.floor((time.getTime() - from.getTime()) / stepMs);

  const buckets = Array.from({ length: steps }, () => ({ count: 0, status2xx: 0, status3xx: 0, status4xx: 0, status5xx: 0, latency: [] as number[] }));
  for (const m of requestMinutes) {
    const i = stepOf(m.minute);
    if (i < 0 || i >= steps) continue;
    const b = buckets[i];
    b.count += m.count;
    b.status2xx += m.status2xx;
    b.status3xx += m.status3xx;
    b.status4xx += m.status4xx;
    b.status5xx += m.status5xx;
    mergeInto(b.latency, m.latency);
  }
  const requests = buckets.map((b, i) => ({
    t: new Date(from.getTime() + i * stepMs).toISOString(),
    count: b.count,
    status2xx: b.status2xx,
    status3xx: b.status3xx,
    status4xx: b.status4xx,
    status5xx: b.status5xx,
    p50Ms: percentile(b.latency, 0.5),
    p95Ms: percentile(b.latency, 0.95),
    p99Ms: percentile(b.latency, 0.99),
  }));

  const byInstance = new Map<string, InstanceMinute[]>();
  for (const m of instanceMinutes) {
    if (m.minute < from || m.minute >= to) continue;
    byInstance.set(m.instance, [...(byInstance.get(m.instance) ?? []), m]);
  }
  const instances = [...byInstance.entries()]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([instance, minutes]) => {
      minutes.sort((a, b) => a.minute.getTime() - b.minute.getTime());
      const points = new Map<number, { cpuSum: number; cpuSamples: number; memoryMb: number | null }>();
      for (const m of minutes) {
        if (m.samples === 0) continue;
        const i = stepOf(m.minute);
        const p = points.get(i) ?? { cpuSum: 0, cpuSamples: 0, memoryMb: null };
        if (m.cpuPercent !== null) {
          p.cpuSum += m.cpuPercent * m.samples;
          p.cpuSamples += m.samples;
        }
        if (m.memoryMb !== null) p.memoryMb = Math.max(p.memoryMb ?? 0, m.memoryMb);
        points.set(i, p);
      }
      return {
        instance,
        memoryLimitMb: minutes[minutes.length - 1].memoryLimitMb,
        restarts: minutes.reduce((sum, m) => sum + m.restarts, 0),
        oomKills: minutes.reduce((sum, m) => sum + m.oomKills, 0),
        points: [...points.entries()]
          .sort(([a], [b]) => a - b)
          .map(([i, p]) => ({
            t: new Date(from.getTime() + i * stepMs).toISOString(),
            cpuPercent: p.cpuSamples ? round1(p.cpuSum / p.cpuSamples) : null,
            memoryMb: p.memoryMb === null ? null : round1(p.memoryMb),
          })),
      };
    });
  return { period, stepSeconds, from: from.toISOString(), to: to.toISOString(), requests, instances };
}
