import type { Browser, Page } from 'playwright-core';
import { PrismaService } from '@berth/db';
import { BuildReleaser } from '@berth/releases';
import { launchBrowser, openPage, screenshot, type WatchedPage } from '../support/browser';
import { startPlatform, type RunningPlatform } from '../support/platform';
import { insertImage } from '../support/runtime';
import { createApp, signUp, unique, type TestUser } from '../support/users';

jest.setTimeout(90_000);

const processTypes = { web: 'busybox httpd -f -p $PORT' };

/**
 * The dashboard tells the story the API's status tells, for states that need a cluster to
 * reach (a release waiting for room, a failed push while an older release serves, releases
 * that served or never did). The API role runs alone; the releases and instances are written
 * as the scheduler and the agent leave them.
 */
describe('the dashboard tells the same story as the API', () => {
  let platform: RunningPlatform;
  let db: PrismaService;
  let browser: Browser;
  let tab: WatchedPage;
  let page: Page;
  let user: TestUser;
  let hostId: string;
  const operatorEmail = `${unique('operator')}@example.com`;

  const card = (env: string) => page.getByRole('article', { name: `Environment ${env}` });

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(['api'], { BERTH_OPERATOR_EMAILS: operatorEmail }), launchBrowser()]);
    db = platform.app.get(PrismaService);
    user = await signUp(platform, 'truth');
    tab = await openPage(browser, platform.url);
    page = tab.page;
    await page.goto('/login');
    await page.evaluate(`localStorage.setItem('berth.token', ${JSON.stringify(user.token)})`);
    const host = await db.host.create({ data: { name: unique('host'), memoryMb: 1024, cpuMillis: 2000, pidsLimit: 4096 } });
    hostId = host.id;
  });
  afterAll(async () => {
    await browser?.close();
    await db?.host.deleteMany({ where: { id: hostId } });
    await platform?.close();
  });
  afterEach(() => {
    expect(tab.takeProblems()).toEqual([]);
  });

  /** A release of a new image, as a finished build makes it; `status` as its rollout left it. */
  async function release(app: string, status: 'deploying' | 'active' | 'superseded' | 'failed', failureReason: string | null = null) {
    const { build } = await insertImage(db, app, { tag: 'localhost/none:1', processTypes });
    const made = await platform.app.get(BuildReleaser).release(build.id);
    await db.release.update({ where: { id: made.release!.id }, data: { status, failureReason } });
    return { build, release: made.release! };
  }

  async function webInstance(releaseId: string, data: { actualState: 'pending' | 'running'; reason?: string; serving?: boolean }) {
    const row = await db.release.findUniqueOrThrow({ where: { id: releaseId } });
    await db.instance.create({
      data: {
        environmentId: row.environmentId,
        releaseId,
        processType: 'web',
        index: 1,
        memoryMb: 256,
        cpuMillis: 500,
        pidsLimit: 256,
        actualState: data.actualState,
        reason: data.reason ?? null,
        ...(data.serving ? { hostId, hostPort: 40000 + Math.floor(Math.random() * 10000), healthy: true } : {}),
      },
    });
  }

  async function apiStatus(app: string) {
    return (await platform.http().get(`/api/apps/${app}/environments/production`).set(user.auth).expect(200)).body.status;
  }

  it('says an unplaceable release waits for room, with the formation to change, not "reload"', async () => {
    const app = await createApp(platform, user, 'room');
    const { release: v1 } = await release(app, 'deploying');
    await webInstance(v1.id, { actualState: 'pending', reason: 'cannot be placed: no host is large enough for 4096 MB memory (largest: 1024 MB on host-a)' });
    const status = await apiStatus(app);
    expect(status).toMatchObject({ state: 'unplaced', message: 'Release v1 waits for room on a host: no host is large enough for 4096 MB memory.' });

    await page.goto(`/apps/${app}`);
    const production = card('production');
    await production.locator('.card-head [data-status="unplaced"]').waitFor();
    await production.getByText(status.message, { exact: true }).waitFor();
    const hint = await production.locator('.status-line .hint').innerText();
    expect(hint).toMatch(/^No host is that large: lower memoryMb or cpu of the web process in the formation, or ask the operator for a larger host\. Formation$/);
    expect(await production.locator('.status-line').innerText()).not.toMatch(/reload|host-a|starting/i);
    await production.locator('.status-line').getByRole('link', { name: 'Formation' }).waitFor();
    await screenshot(page, 'truth-unplaced');

    // An operator in the team is shown the numbers, and what only an operator can do.
    const signedUp = await platform.http().post('/api/auth/signup').send({ email: operatorEmail, password: 'correct horse battery staple' }).expect(201);
    await platform.http().post(`/api/teams/${user.team}/members`).set(user.auth).send({ email: operatorEmail, role: 'member' }).expect(201);
    const asOperator = (await platform.http().get(`/api/apps/${app}/environments/production`).set({ Authorization: `Bearer ${signedUp.body.token}` }).expect(200)).body.status;
    expect(asOperator).toMatchObject({ state: 'unplaced', message: 'Release v1 waits for room on a host: no host is large enough for 4096 MB memory (largest: 1024 MB on host-a).' });
    expect(asOperator.hint).toMatch(/^No host is that large: add a larger host/);
  });

  it('shows that the latest push failed while an older release serves, on the overview and in the builds list', async () => {
    const app = await createApp(platform, user, 'latest');
    const { release: v1 } = await release(app, 'active');
    await webInstance(v1.id, { actualState: 'running', serving: true });
    const { build } = await release(app, 'failed', 'web.1 exited with code 1');
    const status = await apiStatus(app);
    expect(status).toMatchObject({ state: 'running', latestPush: { state: 'release_failed', message: 'Release v2 failed to start: web.1 exited with code 1. v1 keeps serving.' } });

    await page.goto(`/apps/${app}`);
    const production = card('production');
    await production.getByText('1 web instance is serving release v1.').waitFor();
    await production.locator('.card-head [data-status="running"]').waitFor();
    const latest = production.locator('.latest-push[data-state="release_failed"]');
    await latest.waitFor();
    expect(await latest.innerText()).toBe(`The latest push failed to deploy. ${status.latestPush.message}`);
    await production.getByRole('link', { name: 'See the releases' }).waitFor();
    await screenshot(page, 'truth-latest-push-failed');

    await page.goto(`/apps/${app}/builds`);
    const row = page.locator(`tr[data-build="${build.id}"]`);
    await row.locator('[data-status="release_failed"]').waitFor();
    expect(await row.locator('.reason').innerText()).toBe('Build succeeded; release v2 failed: web.1 exited with code 1');

    // A build that failed after v1 is told the same way.
    const environment = await db.environment.findFirstOrThrow({ where: { app: { name: app }, name: 'production' } });
    await db.build.create({ data: { appId: environment.appId, environmentId: environment.id, commitSha: 'f'.repeat(40), branch: 'main', status: 'failed', failureReason: 'npm install failed', finishedAt: new Date() } });
    await db.release.updateMany({ where: { environmentId: environment.id, version: 2 }, data: { status: 'superseded', failureReason: 'a newer release became current first' } });
    await page.goto(`/apps/${app}`);
    await card('production').locator('.latest-push[data-state="build_failed"]').getByText('The latest push failed to build. The last build failed: npm install failed.').waitFor();
  });

  it('offers rollback only to releases that served, and a redeploy to a failed newest one', async () => {
    const app = await createApp(platform, user, 'offers');
    await release(app, 'superseded'); // v1 served, then v3 replaced it
    await release(app, 'superseded', 'a newer release became current first'); // v2 never served
    const { release: v3 } = await release(app, 'active');
    await webInstance(v3.id, { actualState: 'running', serving: true });
    await release(app, 'failed', 'web.1 did not answer on port 5000 within 15 s'); // v4

    await page.goto(`/apps/${app}/environments/production/releases`);
    const row = (version: number) => page.locator(`tr[data-version="${version}"]`);
    await row(4).waitFor();
    const buttons = async (version: number) => row(version).getByRole('button').allInnerTexts();
    expect(await buttons(1)).toEqual(['Roll back to v1']);
    expect(await buttons(2)).toEqual([]);
    expect(await buttons(3)).toEqual([]);
    expect(await buttons(4)).toEqual(['Redeploy v4']);
    await screenshot(page, 'truth-rollback-offers');

    // The API refuses what the page does not offer.
    for (const version of [2, 4]) {
      const refused = await platform.http().post(`/api/apps/${app}/environments/production/releases/v${version}/rollback`).set(user.auth).expect(409);
      expect(refused.body.code).toBe('release_never_served');
    }
  });
});
