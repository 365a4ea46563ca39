import { PrismaService } from '@berth/db';
import { BOUNDS_MS, bucketOf, InstanceMetricsWriter, MetricRetention, MetricStore, RequestMetricsWriter } from '@berth/metrics';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';

/** The metrics API over minutes written by the router's and agent's writers (no router or agent running). */
describe('metrics API', () => {
  let platform: RunningPlatform;
  let owner: TestUser;
  let viewer: TestUser;
  let app: string;
  let environmentId: string;
  const base = () => `/api/apps/${app}/environments/production/metrics`;
  // Two minutes of the current hour, on whole minutes (the 1h window holds the last 60).
  const thisMinute = Math.floor(Date.now() / 60_000) * 60_000;
  const minuteAgo = (n: number) => new Date(thisMinute - n * 60_000);

  beforeAll(async () => {
    platform = await startPlatform();
    owner = await signUp(platform);
    viewer = await signUp(platform, 'viewer');
    app = await createApp(platform, owner, 'metrics');
    await platform.http().post(`/api/teams/${owner.team}/members`).set(owner.auth).send({ email: viewer.email, role: 'viewer' }).expect(201);
    environmentId = (await platform.app.get(PrismaService).environment.findFirstOrThrow({ where: { app: { name: app } } })).id;

    const requests = platform.app.get(RequestMetricsWriter);
    // Minute -3: 99 fast 200s, flushed; then one slow 500 in the same minute, flushed again:
    // the second flush adds to the stored minute.
    for (let i = 0; i < 99; i++) requests.record(environmentId, new Date(minuteAgo(3).getTime() + i), 200, 10);
    await requests.flush();
    requests.record(environmentId, new Date(minuteAgo(3).getTime() + 500), 500, 5000);
    // Minute -2: a redirect and a 404.
    requests.record(environmentId, new Date(minuteAgo(2).getTime() + 1), 302, 3);
    requests.record(environmentId, new Date(minuteAgo(2).getTime() + 2), 404, 3);
    await requests.flush();

    const instances = platform.app.get(InstanceMetricsWriter);
    const web1 = { environmentId, instance: 'web.1', memoryLimitMb: 256 };
    instances.sample(web1, minuteAgo(3), 40 * 1024 * 1024, null);
    instances.sample(web1, new Date(minuteAgo(3).getTime() + 5000), 60 * 1024 * 1024, 20);
    instances.restarted(web1, new Date(minuteAgo(3).getTime() + 9000), true);
    await instances.flush();
    // The same minute from another agent (the instance moved): samples average by weight.
    instances.sample(web1, new Date(minuteAgo(3).getTime() + 30_000), 50 * 1024 * 1024, 40);
    await instances.flush();
  });
  afterAll(async () => platform.close());

  it('answers the last hour a minute per point, counts and percentiles merged from every flush', async () => {
    const res = await platform.http().get(`${base()}?period=1h`).set(viewer.auth).expect(200);
    expect(res.body).toMatchObject({ period: '1h', stepSeconds: 60 });
    // The window ends with the minute that holds now (which may have moved on since the set-up).
    const to = new Date(res.body.to).getTime();
    expect(to - new Date(res.body.from).getTime()).toBe(3_600_000);
    expect(to % 60_000).toBe(0);
    expect(to).toBeGreaterThan(thisMinute);
    expect(res.body.requests).toHaveLength(60);
    const at = (n: number) => res.body.requests.find((p: { t: string }) => p.t === minuteAgo(n).toISOString());
    expect(at(3)).toEqual({ t: minuteAgo(3).toISOString(), count: 100, status2xx: 99, status3xx: 0, status4xx: 0, status5xx: 1, p50Ms: BOUNDS_MS[bucketOf(10)], p95Ms: BOUNDS_MS[bucketOf(10)], p99Ms: BOUNDS_MS[bucketOf(10)] });
    expect(at(2)).toMatchObject({ count: 2, status3xx: 1, status4xx: 1, status5xx: 0 });
    expect(at(1)).toMatchObject({ count: 0, p50Ms: null });
    expect(res.body.instances).toEqual([
      {
        instance: 'web.1',
        memoryLimitMb: 256,
        restarts: 1,
        oomKills: 1,
        // CPU: (20 × 2 samples + 40 × 1) / 3 samples; memory: (50 × 2 + 50 × 1) / 3.
        points: [{ t: minuteAgo(3).toISOString(), cpuPercent: 26.7, memoryMb: 50 }],
      },
    ]);
  });

  it('merges minutes into 5-minute and hourly points for a day and a week', async () => {
    for (const [period, stepSeconds, points] of [['24h', 300, 288], ['7d', 3600, 168]] as const) {
      const res = await platform.http().get(`${base()}?period=${period}`).set(viewer.auth).expect(200);
      expect(res.body).toMatchObject({ period, stepSeconds });
      expect(res.body.requests).toHaveLength(points);
      const total = res.body.requests.reduce((sum: number, p: { count: number }) => sum + p.count, 0);
      expect(total).toBe(102);
      // The step holding minute -3 (alone, or with minute -2): the slow 500 is 1 of 100 or 102
      // requests, so even the p99 is fast (a mean of the minutes' percentiles would not be).
      const busiest = res.body.requests.find((p: { count: number }) => p.count >= 100);
      expect(busiest).toMatchObject({ status5xx: 1, p50Ms: BOUNDS_MS[bucketOf(10)], p99Ms: BOUNDS_MS[bucketOf(10)] });
    }
  });

  it('refuses a period it does not know with a 400 naming the allowed ones', async () => {
    const res = await platform.http().get(`${base()}?period=30d`).set(viewer.auth).expect(400);
    expect(res.body).toMatchObject({ code: 'invalid_period', fields: { period: expect.stringContaining('1h, 24h, 7d') } });
  });

  it('is 404 for another team and an unknown environment, 401 without a token', async () => {
    const stranger = await signUp(platform, 'stranger');
    expect((await platform.http().get(base()).set(stranger.auth).expect(404)).body.code).toBe('app_not_found');
    expect((await platform.http().get(`/api/apps/${app}/environments/nope/metrics`).set(owner.auth).expect(404)).body.code).toBe('environment_not_found');
    await platform.http().get(base()).expect(401);
  });

  it('trims minutes older than 7 days', async () => {
    const store = platform.app.get(MetricStore);
    const old = new Date(Date.now() - 8 * 86_400_000);
    await store.addRequests([{ environmentId, minute: old, count: 1, status2xx: 1, status3xx: 0, status4xx: 0, status5xx: 0, latency: [1] }]);
    await store.addInstances([{ environmentId, instance: 'web.1', minute: old, samples: 1, cpuPercent: 1, memoryMb: 1, memoryLimitMb: 256, restarts: 0, oomKills: 0 }]);
    const db = platform.app.get(PrismaService);
    expect(await db.requestMetricMinute.count({ where: { environmentId } })).toBe(3);
    await platform.app.get(MetricRetention).trim();
    expect(await db.requestMetricMinute.count({ where: { environmentId } })).toBe(2);
    expect(await db.instanceMetricMinute.count({ where: { environmentId, minute: old } })).toBe(0);
    expect(await db.instanceMetricMinute.count({ where: { environmentId } })).toBe(1);
  });
});
