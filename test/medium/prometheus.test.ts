import { PrismaService } from '@berth/db';
import { PlatformCounters, RequestMetricsWriter } from '@berth/metrics';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser, unique } from '../support/users';

/** A sample's value in Prometheus' text format, e.g. value(text, 'berth_instances{state="running"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** GET /metrics: the platform's health for operators' Prometheus. */
describe('Prometheus metrics', () => {
  let platform: RunningPlatform;
  let operator: TestUser;
  let tenant: TestUser;
  const operatorEmail = `${unique('operator')}@example.com`;

  beforeAll(async () => {
    platform = await startPlatform(['api'], { BERTH_OPERATOR_EMAILS: operatorEmail });
    const signup = await platform.http().post('/api/auth/signup').send({ email: operatorEmail, password: 'correct horse battery staple' }).expect(201);
    operator = { email: operatorEmail, password: '', token: signup.body.token, team: signup.body.team.name, auth: { Authorization: `Bearer ${signup.body.token}` } };
    tenant = await signUp(platform, 'tenant');
  });
  afterAll(async () => platform.close());

  it('is refused without a token, and to a user who is not an operator', async () => {
    expect((await platform.http().get('/metrics').expect(401)).body.code).toBe('missing_token');
    const refused = await platform.http().get('/metrics').set(tenant.auth).expect(403);
    expect(refused.body.code).toBe('operators_only');
    expect(refused.text).not.toContain('berth_');
  });

  it("answers an operator in Prometheus' text format with the platform's health", async () => {
    const db = platform.app.get(PrismaService);
    const app = await createApp(platform, tenant, 'scraped');
    const { id: appId, environments } = await db.app.findUniqueOrThrow({ where: { name: app }, include: { environments: true } });
    const environmentId = environments[0].id;
    const host = await db.host.create({ data: { name: unique('host'), memoryMb: 2048, cpuMillis: 2000, pidsLimit: 1000 } });
    const base = { appId, environmentId, branch: 'main' };
    // Scraped once before, so the durations histogram starts counting from here.
    await platform.http().get('/metrics').set(operator.auth).expect(200);
    await db.build.create({ data: { ...base, commitSha: 'a'.repeat(40), status: 'queued' } });
    const now = Date.now();
    await db.build.create({ data: { ...base, commitSha: 'b'.repeat(40), status: 'failed', startedAt: new Date(now - 42_000), finishedAt: new Date(now) } });
    const requests = platform.app.get(RequestMetricsWriter);
    requests.record(environmentId, new Date(), 200, 5);
    requests.record(environmentId, new Date(), 503, 5);
    await requests.flush();
    await platform.app.get(PlatformCounters).add({ placement_rounds: 1, instances_placed: 1 });

    const res = await platform.http().get('/metrics').set(operator.auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = res.text;
    expect(value(text, 'berth_build_queue_depth')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'berth_build_duration_seconds_count{status="failed"}')).toBe(1);
    expect(value(text, 'berth_build_duration_seconds_bucket{le="60",status="failed"}')).toBe(1);
    expect(value(text, 'berth_build_duration_seconds_bucket{le="30",status="failed"}')).toBe(0);
    expect(value(text, 'berth_placement_rounds_total')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'berth_router_requests_total{class="2xx"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'berth_router_requests_total{class="5xx"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, `berth_host_memory_mb{host="${host.name}",kind="capacity"}`)).toBe(2048);
    expect(value(text, `berth_host_memory_mb{host="${host.name}",kind="booked"}`)).toBe(0);
    expect(value(text, `berth_host_cpu_millis{host="${host.name}",kind="capacity"}`)).toBe(2000);
    expect(value(text, 'berth_instances{state="running"}')).toEqual(expect.any(Number));
    expect(value(text, 'berth_process_process_resident_memory_bytes')).toBeGreaterThan(0);
    // No series is labelled by app or environment: cardinality stays bounded by hosts.
    expect(text).not.toContain(app);
    expect(text).not.toContain(environmentId);
    // Nothing else scraped it in between: the failed build is counted once.
    const again = await platform.http().get('/metrics').set(operator.auth).expect(200);
    expect(value(again.text, 'berth_build_duration_seconds_count{status="failed"}')).toBe(1);
  });
});
