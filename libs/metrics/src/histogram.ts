/**
 * Response times as counts in fixed logarithmic buckets: bucket i holds times up to
 * BOUNDS_MS[i] (four buckets per doubling, from 1 ms to about 65 s; the last bucket holds
 * everything slower). Fixed bounds make histograms of different minutes add up bucket by
 * bucket, so the percentiles of an hour or a week come from merged minutes, not from
 * averaging percentiles (which is wrong). A percentile is reported as its bucket's upper
 * bound: at most 19 % above the true value.
 */
export const BOUNDS_MS: readonly number[] = Array.from({ length: 65 }, (_, i) => Math.round(2 ** (i / 4) * 100) / 100);
export const BUCKETS = BOUNDS_MS.length + 1;

/** The bucket of a time in milliseconds. */
export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  const i = Math.ceil(Math.log2(ms) * 4 - 1e-9);
  return Math.min(i, BUCKETS - 1);
}

/** Adds `b` into `a` bucket by bucket (lengths may differ: stored arrays drop trailing zeros); returns `a`. */
export function mergeInto(a: number[], b: readonly number[]): number[] {
  for (let i = 0; i < b.length; i++) a[i] = (a[i] ?? 0) + (b[i] ?? 0);
  return a;
}

/** A histogram without its trailing empty buckets, as stored. */
export function compact(counts: readonly number[]): number[] {
  let end = counts.length;
  while (end > 0 && !counts[end - 1]) end--;
  return counts.slice(0, end).map((n) => n ?? 0);
}

/**
 * The time under which a fraction `q` (0.5, 0.95, 0.99) of the requests finished: the upper
 * bound of the bucket where the running count reaches q × total. Null without requests.
 * Times past the last bound are reported as that bound.
 */
export function percentile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, n) => sum + (n ?? 0), 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return BOUNDS_MS[Math.min(i, BOUNDS_MS.length - 1)];
  }
  return BOUNDS_MS[BOUNDS_MS.length - 1];
}

/** One histogram being filled. */
export class LatencyHistogram {
  readonly counts: number[] = new Array(BUCKETS).fill(0);

  add(ms: number): void {
    this.counts[bucketOf(ms)]++;
  }
}
