import type { Browser } from 'playwright-core';
import { PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { launchBrowser, openPage, screenshot, type WatchedPage } from '../support/browser';
import { startPlatform, type RunningPlatform } from '../support/platform';
import { createApp, signUp, type TestUser } from '../support/users';

jest.setTimeout(60_000);

/** The Logs page over lines written straight to the store (api role only, no containers). */
describe('logs page in a browser', () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let tab: WatchedPage;
  let user: TestUser;
  let app: string;
  let environmentId: string;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(['api']), launchBrowser()]);
    user = await signUp(platform);
    app = await createApp(platform, user, 'logs');
    environmentId = (await platform.app.get(PrismaService).environment.findFirstOrThrow({ where: { app: { name: app } } })).id;
    const writer = platform.app.get(LogWriter);
    const base = Date.now() - 10_000;
    const lines = [
      { source: 'berth' as const, text: 'release v1 created: Deploy 1a2b3c4' },
      { source: 'app' as const, text: 'starting on port 5000' },
      { source: 'app' as const, text: 'handling GET /' },
      { source: 'berth' as const, text: 'web.1 crashed: exited with code 1; restarting in 1 s' },
    ];
    // Two days ago, on web.2: outside "last 24 hours", and another instance.
    writer.write({ environmentId, time: new Date(base - 2 * 86_400_000), source: 'app', processType: 'web', instance: 'web.2', release: 1, text: 'an old line of web.2' });
    lines.forEach((line, i) => writer.write({ environmentId, time: new Date(base + i * 1000), processType: 'web', instance: 'web.1', release: 1, ...line }));
    await writer.flush();
    tab = await openPage(browser, platform.url, { token: user.token });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.close();
  });
  afterEach(() => expect(tab.takeProblems()).toEqual([]));

  it('shows the history, new lines as they come, and filters by source', async () => {
    const { page } = tab;
    await page.goto(`/apps/${app}/environments/production/logs`);
    const log = page.getByTestId('runtime-log');
    await log.getByText('web.1 crashed: exited with code 1').waitFor();
    await expect(log.getByText('app[web.1]:').count()).resolves.toBe(2);
    await page.locator('.live').waitFor();

    const writer = platform.app.get(LogWriter);
    writer.write({ environmentId, time: new Date(), source: 'app', processType: 'web', instance: 'web.1', release: 1, text: 'a line written while watching' });
    await writer.flush();
    await log.getByText('a line written while watching').waitFor({ timeout: 20_000 });
    await screenshot(page, 'laptop-logs');

    await page.getByLabel('Source').selectOption('berth');
    await log.getByText('starting on port 5000').waitFor({ state: 'detached' });
    await log.getByText('release v1 created').waitFor();

    await page.getByLabel('Source').selectOption('');
    await page.getByLabel('Search').fill('handling');
    await page.getByRole('button', { name: 'Search' }).click();
    await log.getByText('release v1 created').waitFor({ state: 'detached' });
    await log.getByText('handling GET /').waitFor();
    await expect(log.getByText('app[web.1]:').count()).resolves.toBe(1);
  });

  it('highlights crash lines with a link to their release, filters by instance and time, and downloads what it shows', async () => {
    const { page } = tab;
    await page.goto(`/apps/${app}/environments/production/logs`);
    const log = page.getByTestId('runtime-log');
    const crash = log.locator('[data-crash]');
    await crash.getByText('web.1 crashed').waitFor();
    await expect(crash.count()).resolves.toBe(1);
    expect(await crash.getByRole('link', { name: 'release v1' }).getAttribute('href')).toBe(`/apps/${app}/environments/production/releases#v1`);

    await log.getByText('an old line of web.2').waitFor();
    await page.getByLabel('Since').selectOption('24h');
    await log.getByText('an old line of web.2').waitFor({ state: 'detached' });
    await log.getByText('handling GET /').waitFor();
    await page.getByLabel('Since').selectOption('');
    await page.getByLabel('Instance').selectOption('web.2');
    await page.waitForURL(/instance=web\.2/);
    await log.getByText('handling GET /').waitFor({ state: 'detached' });
    await log.getByText('an old line of web.2').waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${app}-production-.*\\.log$`));
    const text = await new Promise<string>((resolve, reject) => {
      download.createReadStream().then((stream) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      }, reject);
    });
    expect(text.trim().split('\n')).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z app\[web\.2\]: an old line of web\.2$/)]);

    await page.getByRole('button', { name: 'Show all lines' }).click();
    await log.getByText('handling GET /').waitFor();
  });

  it('opens the log of the crashed instance from the environment\'s crash hint', async () => {
    const db = platform.app.get(PrismaService);
    const release = await db.release.create({ data: { environmentId, version: 1, configEncrypted: '', description: 'Deploy 1a2b3c4', status: 'active' } });
    await db.formationEntry.create({ data: { releaseId: release.id, processType: 'web', quantity: 1, memoryMb: 256, cpuMillis: 500, pidsLimit: 256 } });
    await db.instance.create({
      data: { environmentId, releaseId: release.id, processType: 'web', index: 1, memoryMb: 256, cpuMillis: 500, pidsLimit: 256, actualState: 'crashed', reason: 'exited with code 1', restartCount: 2 },
    });
    const { page } = tab;
    await page.goto(`/apps/${app}`);
    const card = page.getByRole('article', { name: 'Environment production' });
    await card.getByRole('link', { name: 'Read its logs' }).click();
    await page.waitForURL(`**/apps/${app}/environments/production/logs?instance=web.1`);
    expect(await page.getByLabel('Instance').inputValue()).toBe('web.1');
    const log = page.getByTestId('runtime-log');
    await log.getByText('web.1 crashed').waitFor();
    await expect(log.getByText('an old line of web.2').count()).resolves.toBe(0);
  });

  it('is linked from the tabs of the app', async () => {
    const { page } = tab;
    await page.goto(`/apps/${app}`);
    await page.getByRole('navigation', { name: `${app} sections` }).getByRole('link', { name: 'Logs' }).click();
    await page.waitForURL(`**/apps/${app}/environments/production/logs`);
    await page.getByTestId('runtime-log').getByText('web.1 crashed').waitFor();
  });
});
