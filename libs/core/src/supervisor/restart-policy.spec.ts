import { restartDelay } from './restart-policy';

describe('restartDelay', () => {
  const policy = { initialDelayMs: 1000, maxDelayMs: 60_000, stableAfterMs: 30_000 };

  it('restarts a process that ran for a while after the initial delay', () => {
    expect(restartDelay([], policy)).toBe(1000);
    expect(restartDelay([3_600_000], policy)).toBe(1000);
    expect(restartDelay([100, 200, 45_000], policy)).toBe(1000);
  });

  it('backs off exponentially while runs keep ending early, up to the maximum', () => {
    expect(restartDelay([500], policy)).toBe(1000);
    expect(restartDelay([500, 500], policy)).toBe(2000);
    expect(restartDelay([500, 500, 500], policy)).toBe(4000);
    expect(restartDelay(Array(20).fill(500), policy)).toBe(60_000);
    expect(restartDelay([45_000, 500, 500], policy)).toBe(2000);
  });
});
