import { BerthConfig } from '@berth/config';
import { backoffMs, InstanceHealth, LIVENESS_MISSES } from './instance-health';

const config = { agent: { healthTimeoutMs: 10_000, restartBackoffMaxMs: 8_000 } } as BerthConfig;

describe('InstanceHealth', () => {
  it('backs off 1 s, 2 s, 4 s … up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 8000))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoffMs(0, 8000)).toBe(1000);
  });

  it('grows the backoff with each crash of a crash loop and forgives it once healthy', () => {
    const health = new InstanceHealth(config);
    health.started('i1', { id: 'c1', pid: 11 }, 0);
    expect(health.crashed('i1', 100)).toBe(1000);
    expect(health.get('i1')).toMatchObject({ containerId: undefined, pid: undefined, failures: 1, notBefore: 1100 });
    expect(health.failedToStart('i1', 2000)).toBe(2000);
    expect(health.crashed('i1', 5000)).toBe(4000);
    expect(health.get('i1')?.notBefore).toBe(9000);
    health.started('i1', { id: 'c2', pid: 12 }, 9000);
    health.healthy('i1', 9500);
    expect(health.get('i1')).toMatchObject({ failures: 0, lastProbeAt: 9500, containerId: 'c2' });
    expect(health.crashed('i1', 20_000)).toBe(1000);
  });

  it('gives up on a container that does not answer within the health timeout', () => {
    const health = new InstanceHealth(config);
    health.started('i1', { id: 'c1', pid: 11 }, 1000);
    expect(health.startupOverdue('i1', 11_000)).toBe(false);
    expect(health.startupOverdue('i1', 11_001)).toBe(true);
  });

  it('restarts after LIVENESS_MISSES missed probes in a row, an answer resetting the count', () => {
    const health = new InstanceHealth(config);
    health.started('i1', { id: 'c1', pid: 11 }, 0);
    for (let i = 1; i < LIVENESS_MISSES; i++) expect(health.livenessProbed('i1', false, i)).toBe(false);
    expect(health.livenessProbed('i1', true, 10)).toBe(false);
    expect(health.get('i1')?.lastProbeAt).toBe(10);
    for (let i = 1; i < LIVENESS_MISSES; i++) expect(health.livenessProbed('i1', false, 10 + i)).toBe(false);
    expect(health.livenessProbed('i1', false, 20)).toBe(true);
  });

  it('clears the backoff and the process of an instance put to sleep, and tracks nothing new for it', () => {
    const health = new InstanceHealth(config);
    health.rest('untracked');
    expect(health.get('untracked')).toBeUndefined();
    health.started('i1', { id: 'c1', pid: 11 }, 0);
    health.crashed('i1', 0);
    health.started('i1', { id: 'c1', pid: 12 }, 10);
    health.rest('i1');
    expect(health.get('i1')).toMatchObject({ containerId: 'c1', pid: undefined, failures: 0, notBefore: 0 });
    expect(health.running()).toEqual([]);
  });

  it('lists the processes to sample and forgets instances no longer here', () => {
    const health = new InstanceHealth(config);
    health.started('i1', { id: 'c1', pid: 11 }, 0);
    health.started('i2', { id: 'c2', pid: 12 }, 0);
    health.answeredIfTracked('gone', 5);
    expect(health.get('gone')).toBeUndefined();
    health.forgetExcept(new Set(['i2']));
    expect(health.running()).toEqual([{ instanceId: 'i2', containerId: 'c2', pid: 12 }]);
    health.forget('i2');
    expect(health.all.size).toBe(0);
  });
});
