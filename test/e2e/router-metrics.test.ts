import { FullStack, startFullStack } from '../support/fullstack';
import { ensureLoggingImage, LOGGING_WEB } from '../support/logs';
import { deploy, eventually } from '../support/runtime';
import { createApp, signUp, TestUser } from '../support/users';

jest.setTimeout(300_000);

interface JsonLine {
  source: string;
  origin: string;
  text: string;
}

interface Metrics {
  period: string;
  stepSeconds: number;
  requests: { t: string; count: number; status2xx: number; status4xx: number; status5xx: number; p50Ms: number | null; p99Ms: number | null }[];
  instances: { instance: string; memoryLimitMb: number; restarts: number; oomKills: number; points: { t: string; cpuPercent: number | null; memoryMb: number | null }[] }[];
}

/**
 * Requests through the real router (HAProxy) to an app on the local Podman: each one becomes a
 * `router` line of the environment's log with its status, and counts in the environment's
 * request metrics; the agent's samples make the instance's CPU and memory points.
 */
describe('router access lines and metrics', () => {
  let stack: FullStack;
  let user: TestUser;
  let app: string;
  const host = () => `${app}.localhost:${stack.routerPort}`;
  const api = () => stack.platform.http();
  const routerLines = async () =>
    ((await api().get(`/api/apps/${app}/environments/production/logs?source=router&tail=1000`).set(user.auth).set('accept', 'application/json').expect(200)).body as JsonLine[]).map((l) => l.text);
  const metrics = async (period = '1h') => (await api().get(`/api/apps/${app}/environments/production/metrics?period=${period}`).set(user.auth).expect(200)).body as Metrics;

  beforeAll(async () => {
    const image = ensureLoggingImage();
    stack = await startFullStack();
    user = await signUp(stack.platform);
    app = await createApp(stack.platform, user, 'metered');
    const { failure } = await deploy(stack.platform, app, { tag: image, processTypes: { web: LOGGING_WEB } });
    expect(failure).toBeNull();
  });
  afterAll(async () => stack?.close());

  it('writes a router line per request, with the status the app answered and the instance that answered', async () => {
    await eventually('the app answering through the router', async () => (await stack.viaRouter(host(), '/cgi-bin/hello?n=1')).status === 200, 60_000);
    const ok = await stack.viaRouter(host(), '/cgi-bin/hello?n=2', { 'x-request-id': 'e2e-request-0002' });
    expect(ok.status).toBe(200);
    const missing = await stack.viaRouter(host(), '/no/such/page');
    expect(missing.status).toBe(404);

    const lines = await eventually('both router lines', async () => {
      const texts = await routerLines();
      return texts.some((t) => t.includes('path=/cgi-bin/hello?n=2')) && texts.some((t) => t.includes('path=/no/such/page')) && texts;
    }, 60_000);
    const hello = lines.find((t) => t.includes('path=/cgi-bin/hello?n=2'))!;
    expect(hello).toMatch(new RegExp(`^at=info method=GET path=/cgi-bin/hello\\?n=2 host=${app}\\.localhost request_id=e2e-request-0002 status=200 bytes=\\d+ service=\\d+ms instance=web\\.1$`));
    const notFound = lines.find((t) => t.includes('path=/no/such/page'))!;
    expect(notFound).toMatch(/ status=404 /);
    expect(notFound).toMatch(/ instance=web\.1$/);
    expect(notFound).toMatch(/ request_id=[0-9a-f-]{36} /);

    // The same lines in Heroku's text format, as `logs` prints them.
    const text = (await api().get(`/api/apps/${app}/environments/production/logs?source=router&tail=1000`).set(user.auth).expect(200)).text;
    expect(text).toMatch(/Z router: at=info method=GET path=\/no\/such\/page .* status=404 /);
  });

  it('counts the requests by status class with response time percentiles', async () => {
    const answer = await eventually('the requests in the metrics', async () => {
      const m = await metrics();
      const total = (key: 'count' | 'status2xx' | 'status4xx') => m.requests.reduce((sum, p) => sum + p[key], 0);
      // Thrown rather than false, so a timeout says what the metrics held.
      if (total('status2xx') < 2 || total('status4xx') < 1) throw new Error(`${total('status2xx')} 2xx and ${total('status4xx')} 4xx so far`);
      return { m, total };
    }, 60_000);
    expect(answer.m).toMatchObject({ period: '1h', stepSeconds: 60 });
    expect(answer.m.requests).toHaveLength(60);
    expect(answer.total('status4xx')).toBe(1);
    expect(answer.total('count')).toBe(answer.total('status2xx') + answer.total('status4xx'));
    const busy = answer.m.requests.filter((p) => p.count > 0);
    for (const p of busy) {
      expect(p.p50Ms).toEqual(expect.any(Number));
      expect(p.p99Ms!).toBeGreaterThanOrEqual(p.p50Ms!);
    }
    const day = await metrics('24h');
    expect(day.stepSeconds).toBe(300);
    expect(day.requests.reduce((sum, p) => sum + p.count, 0)).toBe(answer.total('count'));
  });

  it("shows the instance's memory against its limit and its CPU", async () => {
    const web = await eventually('web.1 sampled in the metrics', async () => (await metrics()).instances.find((i) => i.instance === 'web.1' && i.points.length > 0), 90_000);
    expect(web.memoryLimitMb).toBeGreaterThan(0);
    expect(web.restarts).toBe(0);
    expect(web.oomKills).toBe(0);
    expect(web.points[0].memoryMb).toBeGreaterThan(0);
    expect(web.points[0].memoryMb!).toBeLessThan(web.memoryLimitMb);
  });

  it('answers 404 to another team', async () => {
    const stranger = await signUp(stack.platform, 'stranger');
    expect((await api().get(`/api/apps/${app}/environments/production/metrics`).set(stranger.auth).expect(404)).body.code).toBe('app_not_found');
  });
});
