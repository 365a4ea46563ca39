import { LineRateLimit, truncateLine } from './limits';

describe('truncateLine', () => {
  it('keeps lines within the limit as they are', () => {
    expect(truncateLine('hello', 8)).toBe('hello');
  });

  it('cuts longer lines and marks the cut, within the limit', () => {
    const cut = truncateLine('x'.repeat(10_000), 8192);
    expect(cut.endsWith(' … [truncated by Berth]')).toBe(true);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(8192);
    expect(cut.startsWith('xxxx')).toBe(true);
  });

  it('never leaves half a character', () => {
    const cut = truncateLine('é'.repeat(300), 300);
    expect(cut).not.toContain('\uFFFD');
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(300);
  });
});

describe('LineRateLimit', () => {
  it('admits the rate per second and drops the rest', () => {
    const limit = new LineRateLimit(3);
    const admitted = [0, 100, 200, 300, 400].map((t) => limit.admit(t));
    expect(admitted).toEqual([true, true, true, false, false]);
    expect(limit.admit(1000)).toBe(true);
  });

  it('reports a flood once, after a whole second without drops', () => {
    const limit = new LineRateLimit(2);
    for (let t = 0; t < 1900; t += 10) limit.admit(t); // a flood over two seconds
    expect(limit.report(1950)).toBe(0); // still in the flood's last second
    expect(limit.report(2500)).toBe(0); // the next second has not passed yet
    expect(limit.report(3000)).toBe(190 - 4);
    expect(limit.report(4000)).toBe(0);
  });

  it('reports at the end of the output, and every reportEveryMs of a long flood', () => {
    const limit = new LineRateLimit(1, 5000);
    limit.admit(0);
    limit.admit(1);
    expect(limit.report(2, true)).toBe(1);
    for (let t = 10_000; t < 16_000; t += 100) limit.admit(t);
    expect(limit.report(15_950)).toBe(60 - 6);
  });
});
