import { decidePressureSleeps, PressuredHost, SleepCandidate } from './memory-pressure';

const now = new Date('2026-11-30T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const host = (id: string, availableMemoryMb: number | null): PressuredHost => ({ id, name: id, availableMemoryMb });
const env = (environmentId: string, idleSeconds: number, memory: Record<string, number>, maySleep = true): SleepCandidate => ({
  environmentId,
  maySleep,
  activeAt: ago(idleSeconds),
  memoryMbByHost: new Map(Object.entries(memory)),
});
const ids = (sleeps: { environmentId: string }[]) => sleeps.map((s) => s.environmentId);

describe('memory pressure: who sleeps', () => {
  it('puts nothing to sleep while every host has enough available memory, or has not reported', () => {
    expect(decidePressureSleeps([host('h1', 2048), host('h2', null)], [env('a', 3600, { h1: 100, h2: 100 })], 1024, 60_000, now)).toEqual([]);
  });

  it('puts the least recently requested idle environments to sleep first, until the shortfall is covered', () => {
    const candidates = [env('recent', 120, { h1: 300 }), env('oldest', 7200, { h1: 300 }), env('older', 3600, { h1: 300 })];
    // 500 MB short: the two least recently requested cover it.
    expect(ids(decidePressureSleeps([host('h1', 524)], candidates, 1024, 60_000, now))).toEqual(['oldest', 'older']);
    // 100 MB short: one is enough.
    expect(ids(decidePressureSleeps([host('h1', 924)], candidates, 1024, 60_000, now))).toEqual(['oldest']);
  });

  it('never chooses one that had a request within the spared time, nor one whose owner said it never sleeps', () => {
    const candidates = [env('busy', 30, { h1: 500 }), env('production', 7200, { h1: 500 }, false), env('idle', 600, { h1: 50 })];
    expect(ids(decidePressureSleeps([host('h1', 0)], candidates, 1024, 60_000, now))).toEqual(['idle']);
  });

  it('chooses only among what runs on the pressured host', () => {
    const candidates = [env('elsewhere', 7200, { h2: 500 }), env('here', 600, { h1: 500 })];
    const sleeps = decidePressureSleeps([host('h1', 800), host('h2', 4096)], candidates, 1024, 60_000, now);
    expect(sleeps).toEqual([{ environmentId: 'here', host: { id: 'h1', name: 'h1', availableMemoryMb: 800 } }]);
  });

  it('counts an environment chosen for one host toward another host it also runs on', () => {
    const candidates = [env('both', 7200, { h1: 300, h2: 300 }), env('only-h2', 3600, { h2: 300 })];
    expect(ids(decidePressureSleeps([host('h1', 900), host('h2', 900)], candidates, 1024, 60_000, now))).toEqual(['both']);
  });
});
