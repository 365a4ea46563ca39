import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, screenshot, type WatchedPage } from '../support/browser';
import { get } from '../support/router';
import { deploy, ensureWebImage, eventually, PROCESS_TYPES, startWholePlatform, type WholePlatform } from '../support/runtime';
import { createApp, signUp, type TestUser } from '../support/users';

jest.setTimeout(300_000);

interface MetricsAnswer {
  requests: { count: number; status2xx: number; status4xx: number }[];
  instances: { instance: string; points: { memoryMb: number | null }[] }[];
}

/**
 * The Metrics page of an app deployed on the whole platform (agent with real containers,
 * HAProxy router): requests sent through the router show up in its charts, and so does the
 * instance's memory and CPU.
 */
describe('metrics page in a browser', () => {
  let whole: WholePlatform;
  let browser: Browser;
  let tab: WatchedPage;
  let user: TestUser;
  let app: string;
  const metricsUrl = () => `/apps/${app}/environments/production/metrics`;

  beforeAll(async () => {
    [whole, browser] = await Promise.all([startWholePlatform(), launchBrowser()]);
    user = await signUp(whole.platform);
    app = await createApp(whole.platform, user, 'charts');
    tab = await openPage(browser, whole.platform.url, { token: user.token });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await whole?.stop();
  });
  afterEach(() => expect(tab.takeProblems()).toEqual([]));

  it('explains that there is nothing to show before the first request', async () => {
    const { page } = tab;
    await page.goto(`/apps/${app}`);
    await page.getByRole('navigation', { name: `${app} sections` }).getByRole('link', { name: 'Metrics', exact: true }).click();
    await page.waitForURL(`**${metricsUrl()}`);
    await page.getByRole('heading', { name: 'No requests in the last hour' }).waitFor();
    await page.getByRole('heading', { name: 'No instance ran in the last hour' }).waitFor();
    await page.getByRole('button', { name: 'last 7 days' }).click();
    await page.waitForURL(/period=7d/);
    await page.getByRole('heading', { name: 'No requests in the last 7 days' }).waitFor();
  });

  it('charts the requests sent through the router and the instance that served them', async () => {
    const { failure } = await deploy(whole.platform, app, { tag: ensureWebImage('metrics'), processTypes: { web: PROCESS_TYPES.web } });
    expect(failure).toBeNull();
    const host = `${app}.localhost`;
    await eventually('the app answering through the router', async () => (await get(whole.routerPort, host, '/').catch(() => ({ status: 0 }))).status === 200, 60_000);
    for (let i = 0; i < 20; i++) expect((await get(whole.routerPort, host, '/')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(whole.routerPort, host, '/no-such-page')).status).toBe(404);

    // Request minutes are written every few seconds, instance minutes every 15 s.
    const metrics = await eventually(
      'the requests and the instance in GET …/metrics',
      async () => {
        const res = await whole.platform.http().get(`/api/apps/${app}/environments/production/metrics?period=1h`).set(user.auth);
        const body = res.body as MetricsAnswer;
        const requests = body.requests?.reduce((sum, p) => sum + p.count, 0) ?? 0;
        const memory = body.instances?.find((i) => i.instance === 'web.1')?.points.some((p) => p.memoryMb !== null);
        return requests >= 24 && memory ? body : null;
      },
      120_000,
      1000,
    );
    const total = metrics.requests.reduce((sum, p) => sum + p.count, 0);
    expect(metrics.requests.reduce((sum, p) => sum + p.status4xx, 0)).toBeGreaterThanOrEqual(3);

    const { page } = tab;
    await page.goto(metricsUrl());
    await page.getByTestId('metrics-summary').getByText(String(total), { exact: true }).waitFor();
    for (const title of ['Requests', 'Response time', 'Errors (5xx)', 'Memory', 'CPU']) {
      const chart = page.getByRole('figure', { name: title });
      await chart.locator('canvas').waitFor();
      // uPlot's legend names each series: the chart was drawn with data, not left empty.
      expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
    }
    await page.getByRole('figure', { name: 'Requests' }).locator('.u-legend').getByText('2xx').waitFor();
    await page.getByRole('figure', { name: 'Memory' }).locator('.u-legend').getByText('web.1', { exact: true }).waitFor();
    await page.getByRole('figure', { name: 'Memory' }).locator('.u-legend').getByText('web.1 limit').waitFor();
    await page.locator('tr[data-instance="web.1"]').getByRole('link', { name: 'web.1' }).waitFor();
    await screenshot(page, 'laptop-metrics');
  });
});
