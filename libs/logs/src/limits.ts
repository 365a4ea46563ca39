/**
 * The walls around what one instance may log: a line length and a line rate. Pure, so the
 * agent's shipper and its specs share them.
 */

const TRUNCATED = ' … [truncated by Berth]';

/** Cuts a line longer than `maxBytes` of UTF-8 (never inside a character) and marks the cut. */
export function truncateLine(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - Buffer.byteLength(TRUNCATED));
  // A character cut in half decodes as U+FFFD at the end: drop it.
  return Buffer.from(text).subarray(0, budget).toString('utf8').replace(/\uFFFD+$/, '') + TRUNCATED;
}

/**
 * Lines per second of one instance, in whole-second windows of the lines' own times. Lines over
 * the rate are dropped and counted; the count is reported once the flood is over (a whole
 * second with nothing dropped), when the output ends, or every `reportEveryMs` while it goes on, so a
 * flood costs one Berth line, not one per dropped line.
 */
export class LineRateLimit {
  private window = -1;
  private inWindow = 0;
  private dropped = 0;
  private lastDropWindow = -1;
  private firstDropAt = 0;

  constructor(
    private readonly perSecond: number,
    private readonly reportEveryMs = 10_000,
  ) {}

  /** Whether a line written at `timeMs` may be kept. */
  admit(timeMs: number): boolean {
    this.roll(timeMs);
    if (this.inWindow < this.perSecond) {
      this.inWindow++;
      return true;
    }
    if (this.dropped === 0) this.firstDropAt = timeMs;
    this.dropped++;
    this.lastDropWindow = this.window;
    return false;
  }

  /** Lines dropped that should be reported now (0 for none); `final` at the end of the output. */
  report(nowMs: number, final = false): number {
    this.roll(nowMs);
    if (this.dropped === 0) return 0;
    // Over once a whole second went by without a drop.
    if (final || this.window > this.lastDropWindow + 1 || nowMs - this.firstDropAt >= this.reportEveryMs) {
      const count = this.dropped;
      this.dropped = 0;
      return count;
    }
    return 0;
  }

  private roll(timeMs: number): void {
    const window = Math.floor(timeMs / 1000);
    if (window > this.window) {
      this.window = window;
      this.inWindow = 0;
    }
  }
}
