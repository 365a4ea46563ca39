import { BOUNDS_MS, BUCKETS, bucketOf, compact, LatencyHistogram, mergeInto, percentile } from './histogram';

describe('latency histogram', () => {
  it('puts a time in the first bucket whose bound holds it', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1)).toBe(0);
    expect(BOUNDS_MS[bucketOf(12)]).toBeGreaterThanOrEqual(12);
    expect(BOUNDS_MS[bucketOf(12) - 1]).toBeLessThan(12);
    for (const ms of [1.5, 2, 3, 100, 999, 4096, 60_000]) {
      const i = bucketOf(ms);
      expect(BOUNDS_MS[i]).toBeGreaterThanOrEqual(ms - 0.01);
      expect(BOUNDS_MS[i - 1]).toBeLessThan(ms + 0.01);
    }
    expect(bucketOf(10 * 60_000)).toBe(BUCKETS - 1);
  });

  it('reports percentiles within a bucket (19 %) of the true value', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.add(ms);
    const p50 = percentile(h.counts, 0.5)!;
    const p99 = percentile(h.counts, 0.99)!;
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(500 * 1.19);
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99).toBeLessThanOrEqual(990 * 1.19);
    expect(percentile([], 0.5)).toBeNull();
  });

  it('merges minutes into the histogram of the whole period, not an average of percentiles', () => {
    // One busy fast minute and one quiet slow one: the p50 of both together is fast.
    const fast = new LatencyHistogram();
    for (let i = 0; i < 99; i++) fast.add(10);
    const slow = new LatencyHistogram();
    slow.add(5000);
    const merged = mergeInto(compact(fast.counts), compact(slow.counts));
    expect(percentile(merged, 0.5)).toBe(BOUNDS_MS[bucketOf(10)]);
    expect(percentile(merged, 0.99)).toBe(BOUNDS_MS[bucketOf(10)]);
    expect(percentile(merged, 1)).toBe(BOUNDS_MS[bucketOf(5000)]);
    expect(merged.reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('stores without trailing empty buckets', () => {
    expect(compact([1, 0, 2, 0, 0])).toEqual([1, 0, 2]);
    expect(compact([0, 0])).toEqual([]);
  });
});
