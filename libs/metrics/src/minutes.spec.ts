import { bucketOf } from './histogram';
import { InstanceMinutes } from './instance-minutes';
import { RequestMinutes, statusClass } from './request-minutes';

const env = '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const at = (iso: string) => new Date(iso);

describe('RequestMinutes', () => {
  it('counts requests per environment and minute by status class, with a latency histogram', () => {
    const minutes = new RequestMinutes();
    minutes.add(env, at('2026-11-30T16:00:01Z'), 200, 12);
    minutes.add(env, at('2026-11-30T16:00:59.999Z'), 404, 3);
    minutes.add(env, at('2026-11-30T16:01:00Z'), 503, 2000);
    minutes.add('other', at('2026-11-30T16:00:30Z'), 301, 1);
    const rows = minutes.take();
    expect(rows).toHaveLength(3);
    const first = rows.find((r) => r.environmentId === env && r.minute.toISOString() === '2026-11-30T16:00:00.000Z')!;
    expect(first).toMatchObject({ count: 2, status2xx: 1, status4xx: 1, status5xx: 0 });
    expect(first.latency).toHaveLength(bucketOf(12) + 1);
    expect(first.latency[bucketOf(12)]).toBe(1);
    expect(first.latency[bucketOf(3)]).toBe(1);
    expect(rows.find((r) => r.environmentId === 'other')).toMatchObject({ count: 1, status3xx: 1 });
    // Taking empties it: the next take adds only what came since.
    expect(minutes.take()).toEqual([]);
  });

  it('classes statuses', () => {
    expect([101, 200, 304, 418, 599, 0, 999].map(statusClass)).toEqual(['1xx', '2xx', '3xx', '4xx', '5xx', null, null]);
  });
});

describe('InstanceMinutes', () => {
  const web1 = { environmentId: env, instance: 'web.1', memoryLimitMb: 256 };

  it('averages samples over the minute and counts restarts and OOM kills', () => {
    const minutes = new InstanceMinutes();
    minutes.sample(web1, at('2026-11-30T16:00:05Z'), 40 * 1024 * 1024, null);
    minutes.sample(web1, at('2026-11-30T16:00:15Z'), 60 * 1024 * 1024, 30);
    minutes.sample(web1, at('2026-11-30T16:00:25Z'), 50 * 1024 * 1024, 10);
    minutes.restarted(web1, at('2026-11-30T16:00:30Z'), true);
    minutes.restarted(web1, at('2026-11-30T16:01:30Z'), false);
    const rows = minutes.take().sort((a, b) => a.minute.getTime() - b.minute.getTime());
    expect(rows).toEqual([
      { ...web1, minute: at('2026-11-30T16:00:00Z'), samples: 3, cpuPercent: 20, memoryMb: 50, restarts: 1, oomKills: 1 },
      { ...web1, minute: at('2026-11-30T16:01:00Z'), samples: 0, cpuPercent: null, memoryMb: null, restarts: 1, oomKills: 0 },
    ]);
  });
});
