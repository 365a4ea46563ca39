import { AppError } from '@berth/common';
import { BOUNDS_MS, bucketOf, compact, LatencyHistogram } from './histogram';
import { buildSeries, InstanceMinute, periodWindow, RequestMinute } from './metrics-series';

const now = new Date('2026-11-30T16:07:30Z');
const hist = (...ms: number[]) => {
  const h = new LatencyHistogram();
  ms.forEach((m) => h.add(m));
  return compact(h.counts);
};
const minute = (iso: string, count: number, latency: number[], codes: Partial<RequestMinute> = {}): RequestMinute => ({
  minute: new Date(iso),
  count,
  status2xx: count,
  status3xx: 0,
  status4xx: 0,
  status5xx: 0,
  latency,
  ...codes,
});

describe('periodWindow', () => {
  it('ends with the step that holds now', () => {
    expect(periodWindow('1h', now)).toEqual({ period: '1h', stepSeconds: 60, from: new Date('2026-11-30T15:08:00Z'), to: new Date('2026-11-30T16:08:00Z') });
    expect(periodWindow('24h', now)).toMatchObject({ stepSeconds: 300, to: new Date('2026-11-30T16:10:00Z'), from: new Date('2026-11-29T16:10:00Z') });
    expect(periodWindow('7d', now)).toMatchObject({ stepSeconds: 3600, to: new Date('2026-11-30T17:00:00Z') });
    expect(periodWindow(undefined, now).period).toBe('1h');
  });

  it('refuses another period, naming the allowed ones', () => {
    expect(() => periodWindow('30d', now)).toThrow(AppError);
    expect(() => periodWindow('30d', now)).toThrow('period: must be one of 1h, 24h, 7d');
  });
});

describe('buildSeries', () => {
  it('has every step of the period, empty ones with zero counts and no percentiles', () => {
    const answer = buildSeries(periodWindow('1h', now), [minute('2026-11-30T16:07:00Z', 2, hist(10, 20))], []);
    expect(answer.requests).toHaveLength(60);
    expect(answer.requests[0]).toEqual({ t: '2026-11-30T15:08:00.000Z', count: 0, status2xx: 0, status3xx: 0, status4xx: 0, status5xx: 0, p50Ms: null, p95Ms: null, p99Ms: null });
    expect(answer.requests[59]).toMatchObject({ t: '2026-11-30T16:07:00.000Z', count: 2, p50Ms: BOUNDS_MS[bucketOf(10)], p99Ms: BOUNDS_MS[bucketOf(20)] });
  });

  it('merges minutes into wider steps, percentiles from the merged histograms', () => {
    const minutes = [
      minute('2026-11-30T16:00:00Z', 99, hist(...Array(99).fill(10))),
      minute('2026-11-30T16:03:00Z', 1, hist(5000), { status2xx: 0, status5xx: 1 }),
    ];
    const step = buildSeries(periodWindow('24h', now), minutes, []).requests.find((p) => p.t === '2026-11-30T16:00:00.000Z')!;
    expect(step).toMatchObject({ count: 100, status2xx: 99, status5xx: 1, p50Ms: BOUNDS_MS[bucketOf(10)], p95Ms: BOUNDS_MS[bucketOf(10)], p99Ms: BOUNDS_MS[bucketOf(10)] });
  });

  it('gives each instance its points, peak memory, mean CPU and totals of restarts and OOM kills', () => {
    const row = (iso: string, fields: Partial<InstanceMinute>): InstanceMinute => ({ instance: 'web.1', minute: new Date(iso), samples: 6, cpuPercent: 10, memoryMb: 50, memoryLimitMb: 256, restarts: 0, oomKills: 0, ...fields });
    const answer = buildSeries(periodWindow('24h', now), [], [
      row('2026-11-30T16:00:00Z', { cpuPercent: 10, memoryMb: 40 }),
      row('2026-11-30T16:01:00Z', { cpuPercent: 30, memoryMb: 120, restarts: 1, oomKills: 1 }),
      row('2026-11-30T16:06:00Z', { instance: 'web.10', memoryLimitMb: 512 }),
      row('2026-11-30T16:06:00Z', { instance: 'web.2', samples: 0, cpuPercent: null, memoryMb: null, restarts: 2 }),
    ]);
    expect(answer.instances.map((i) => i.instance)).toEqual(['web.1', 'web.2', 'web.10']);
    expect(answer.instances[0]).toEqual({ instance: 'web.1', memoryLimitMb: 256, restarts: 1, oomKills: 1, points: [{ t: '2026-11-30T16:00:00.000Z', cpuPercent: 20, memoryMb: 120 }] });
    expect(answer.instances[1]).toEqual({ instance: 'web.2', memoryLimitMb: 256, restarts: 2, oomKills: 0, points: [] });
  });
});
