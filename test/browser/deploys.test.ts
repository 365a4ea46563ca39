import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, PHONE, screenshot, scrollsSideways, tokenOf, type WatchedPage } from '../support/browser';
import { WorkingCopy } from '../support/git';
import { get } from '../support/router';
import { eventually, startWholePlatform, type WholePlatform } from '../support/runtime';
import { unique } from '../support/users';

jest.setTimeout(120_000);

/**
 * A new user goes from sign-up to a running app and its preview using only the dashboard and
 * git: every role runs (builder, scheduler, an agent with real containers, the router), and the
 * pushes are real `git push`es of a small static site.
 */
describe('from sign-up to a running app and its previews, in the dashboard', () => {
  let whole: WholePlatform;
  let browser: Browser;
  let tab: WatchedPage;
  let page: Page;
  let site: WorkingCopy;
  let gitToken: string;
  const email = `${unique('deployer')}@example.com`;
  const app = unique('site');
  const preview = 'feature-slow';
  const nonce = randomBytes(4).toString('hex');

  const envPath = (env: string, path = '') => `/api/apps/${app}/environments/${env}${path}`;
  const viaRouter = (host: string) => get(whole.routerPort, host).catch((error: Error) => ({ status: 0, body: error.message, headers: {} }));
  const appHost = `${app}.localhost`;
  const previewHost = `${preview}--${app}.localhost`;
  const card = (env: string) => page.getByRole('article', { name: `Environment ${env}` });
  const tabLink = (name: string) => page.getByRole('navigation', { name: `${app} sections` }).getByRole('link', { name, exact: true });

  beforeAll(async () => {
    // The user signing up is an operator of this installation, so the hosts page shows too.
    [whole, browser] = await Promise.all([startWholePlatform({ env: { BERTH_OPERATOR_EMAILS: email } }), launchBrowser()]);
    tab = await openPage(browser, whole.platform.url);
    page = tab.page;
  }, 120_000);
  afterAll(async () => {
    site?.remove();
    await browser?.close();
    await whole?.stop();
  });
  afterEach(() => {
    // Any console error or uncaught exception in the page fails the test that caused it.
    expect(tab.takeProblems()).toEqual([]);
  });

  it('signs up, creates an app, shows how to push to it and makes a git token', async () => {
    await page.goto('/signup');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('link', { name: 'Create your first app' }).click();
    await page.getByLabel('App name').fill(app);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.waitForURL(`**/apps/${app}?created=1`);

    await page.getByRole('heading', { name: 'Deploy with git push' }).waitFor();
    const commands = (await page.getByLabel('First push').locator('code').innerText()).split('\n');
    expect(commands).toEqual([`git remote add berth ${whole.platform.url}/git/${app}.git`, 'git push berth main']);
    await card('production').getByText('Nothing has been deployed to this environment yet.').waitFor();
    await card('production').getByText('git push berth main').waitFor();
    await page.getByText('No preview environments').waitFor();
    await screenshot(page, 'deploy-1-app-created');

    await page.getByRole('link', { name: 'Create a git token' }).click();
    await page.getByRole('button', { name: 'Create token' }).click();
    gitToken = await page.getByLabel('New token').inputValue();
    expect(gitToken).toMatch(/^berth_/);
    await page.getByRole('button', { name: 'Done, I have copied it' }).click();

    // The remote exactly as the dashboard showed it, with the token as the password.
    site = await WorkingCopy.fromFixture('static');
    site.write('public/index.html', `<!doctype html><title>${app}</title><h1>Hello from ${app}</h1>\n`);
    await site.commitAll('Say hello');
    const remote = new URL(commands[0].split(' ').pop()!);
    remote.username = 'git';
    remote.password = gitToken;
    expect((await site.git('remote', 'add', 'berth', remote.toString())).code).toBe(0);
  });

  it('shows the build of a real git push with its full log, then production running on a host', async () => {
    const push = await site.git('push', 'berth', 'main');
    expect(push.stderr).toContain('Static site detected');
    expect(push.code).toBe(0);
    const sha = (await site.head()).slice(0, 7);

    await page.goto(`/apps/${app}`);
    await tabLink('Builds').click();
    await page.getByRole('link', { name: `Build ${sha} of main: succeeded` }).click();
    const log = page.getByTestId('build-log');
    await log.getByText('Static site detected: public/index.html').waitFor();
    await log.getByText(/Built image localhost\/berth\//).waitFor();
    // The release that follows the build writes to the same log.
    await log.getByText('Deployed v1: 1 web instance healthy').waitFor();
    await page.locator('.build-head').getByText('static').first().waitFor();
    await screenshot(page, 'deploy-2-build-log');

    await tabLink('Overview').click();
    const production = card('production');
    await production.getByText('1 web instance is serving release v1.').waitFor();
    expect(await production.locator('.card-head [data-status]').getAttribute('data-status')).toBe('running');
    await production.getByText(`Deploy ${sha}`).waitFor();
    const instance = production.locator('tr[data-instance="web.1"]');
    expect(await instance.locator('td[data-label="Host"]').innerText()).toBe(whole.hostName);
    expect(await instance.locator('td[data-label="State"] [data-status]').first().getAttribute('data-status')).toBe('running');
    // Memory and CPU use arrive with the agent's next heartbeat; the page polls for them.
    await instance.locator('td[data-label="Memory"]').getByText(/^[\d.]+ (B|KiB|MiB)/).waitFor({ timeout: 30_000 });
    await instance.locator('td[data-label="CPU"]').getByText(/^[\d.]+%/).waitFor({ timeout: 30_000 });
    expect(await instance.locator('td[data-label="Memory"]').innerText()).toContain('of 256 MiB');
    await screenshot(page, 'deploy-3-running');
  });

  it("opens the app at the URL the dashboard shows, through the router", async () => {
    const link = card('production').getByRole('link', { name: `${appHost}:${whole.routerPort}` });
    expect(await link.getAttribute('href')).toBe(`http://${appHost}:${whole.routerPort}`);
    const answer = await viaRouter(appHost);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`Hello from ${app}`);

    // Chromium resolves *.localhost itself: the link opens the app in a new tab.
    const [opened] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await opened.getByRole('heading', { name: `Hello from ${app}` }).waitFor();
    await screenshot(opened, 'deploy-4-app-at-its-url');
    await opened.close();
  });

  it('sets a config var, which makes a release, and rolls back after confirming', async () => {
    await tabLink('Config').click();
    await page.getByText('No config vars yet').waitFor();
    await page.getByRole('button', { name: 'Add a variable' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill('GREETING');
    await page.getByLabel('Value of GREETING').fill('hello');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();

    await tabLink('Releases').click();
    const v2 = page.locator('tr[data-version="2"]');
    await v2.getByText('Set GREETING').waitFor();
    await v2.locator('[data-status="current"]').waitFor({ timeout: 60_000 });

    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Roll production back to v1?').waitFor();
    await screenshot(page, 'deploy-5-rollback-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await whole.platform.http().get(envPath('production', '/releases')).set(await auth(page))).body).toHaveLength(2);

    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    await dialog.getByRole('button', { name: 'Roll back to v1' }).click();
    const v3 = page.locator('tr[data-version="3"]');
    await v3.getByText('Rollback to v1').waitFor();
    await page.getByText('Rolled back: v3 is serving.').waitFor({ timeout: 60_000 });
    await v3.locator('[data-status="current"]').waitFor();
    expect(await page.locator('tr[data-version="2"] [data-status]').first().getAttribute('data-status')).toBe('superseded');
    await screenshot(page, 'deploy-6-rolled-back');

    // v1 had no config vars: the rollback took them back too.
    await tabLink('Config').click();
    await page.getByText('No config vars yet').waitFor();
  });

  it('changes the formation, showing a refused value beside its field', async () => {
    await tabLink('Formation').click();
    const memory = page.getByLabel('Memory (MiB) of web');
    expect(await memory.inputValue()).toBe('256');
    await page.getByText('busybox httpd').waitFor(); // the web process's command, from the image
    await memory.fill('8');
    tab.expectHttpError(400, envPath('production', '/formation'));
    await page.getByRole('button', { name: 'Save formation' }).click();
    await page.locator('.process .field-error').getByText('must be at least 16 MB').waitFor();
    await screenshot(page, 'deploy-7-formation-refused');

    await memory.fill('128');
    await page.getByRole('button', { name: 'Save formation' }).click();
    await page.getByText('Saved as a new release.').waitFor();
    await tabLink('Overview').click();
    await card('production').getByText('Resize web 1 × 128 MB, 0.5 CPU').waitFor({ timeout: 30_000 });
    await card('production').locator('tr[data-instance="web.1"]').getByText('of 128 MiB').waitFor({ timeout: 60_000 });
  });

  it('adds a custom domain the router then serves, refuses a bad or taken one, and removes it', async () => {
    const domain = `www.${app}.localhost`;
    await tabLink('Domains').click();
    await page.getByText('No custom domains').waitFor();
    const field = page.getByLabel('Domain name');

    await field.fill('not a domain');
    tab.expectHttpError(400, envPath('production', '/domains'));
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.locator('.field-error').getByText('must be a full domain name such as www.example.com').waitFor();

    await field.fill(domain);
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.getByText(`${domain} now points at production.`).waitFor();
    await page.locator(`tr[data-domain="${domain}"]`).waitFor();
    await eventually(`the router to serve ${domain}`, async () => (await viaRouter(domain)).status === 200);
    expect((await viaRouter(domain)).body).toContain(`Hello from ${app}`);

    await field.fill(domain);
    tab.expectHttpError(409, envPath('production', '/domains'));
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.locator('.field-error').getByText(`${domain} already points at an environment on Berth`).waitFor();
    await screenshot(page, 'deploy-8-domains');

    await page.getByRole('button', { name: `Remove ${domain}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove domain' }).click();
    await page.getByText(`${domain} was removed.`).waitFor();
    await page.getByText('No custom domains').waitFor();
    await eventually(`the router to forget ${domain}`, async () => (await viaRouter(domain)).status === 404);
  });

  it("follows a pushed branch's build live, then shows its preview running at its own URL", async () => {
    await page.goto(`/apps/${app}/builds`);
    await page.locator('tr[data-build]').first().waitFor();

    // The branch builds with a Dockerfile whose slow step writes a line a second.
    await site.git('checkout', '-q', '-b', 'feature/slow');
    site.write(
      'Dockerfile',
      [
        'FROM localhost/berth/stack:bookworm-2',
        `RUN for i in 1 2 3 4 5 6 7 8; do echo "warming up $i of 8 (${nonce})"; sleep 1; done`,
        'COPY public /srv/www',
        'USER app',
        'CMD exec busybox httpd -f -p "${PORT:-8080}" -h /srv/www',
        '',
      ].join('\n'),
    );
    site.write('public/index.html', `<!doctype html><title>${app}</title><h1>Preview of ${app}</h1>\n`);
    const sha = (await site.commitAll('Try a Dockerfile')).slice(0, 7);
    const pushing = site.git('push', 'berth', 'feature/slow');
    try {
      await page.getByRole('link', { name: new RegExp(`^Build ${sha} of feature/slow: (queued|building)$`) }).click({ timeout: 30_000 });
      const log = page.getByTestId('build-log');
      await page.locator('.log-head .live').waitFor();
      await log.getByText(`warming up 2 of 8 (${nonce})`).waitFor({ timeout: 30_000 });
      // The facts move with the log (they stayed "queued" and "not chosen yet" while it streamed).
      await page.locator('.build-head .card-head [data-status="building"]').waitFor({ timeout: 10_000 });
      await page.locator('.build-head dd', { hasText: /^dockerfile$/ }).waitFor({ timeout: 10_000 });
      await screenshot(page, 'deploy-9-live-log');
      await page.locator('.build-head .card-head [data-status="succeeded"]').waitFor({ timeout: 60_000 });
      await log.getByText(`warming up 8 of 8 (${nonce})`).waitFor();
      expect(await page.locator('.log-head .live').count()).toBe(0);
    } finally {
      const push = await pushing;
      expect(push.code).toBe(0);
    }

    await tabLink('Overview').click();
    const previewCard = card(preview);
    await previewCard.getByText('preview of feature/slow').waitFor({ timeout: 30_000 });
    const link = previewCard.getByRole('link', { name: `${previewHost}:${whole.routerPort}` });
    expect(await link.getAttribute('href')).toBe(`http://${previewHost}:${whole.routerPort}`);
    await previewCard.getByText('1 web instance is serving release v1.').waitFor({ timeout: 30_000 });
    await previewCard.locator('tr[data-instance="web.1"]').waitFor();
    const answer = await viaRouter(previewHost);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`Preview of ${app}`);
    expect((await viaRouter(appHost)).body).toContain(`Hello from ${app}`);

    // A time to live: the preview is deleted by itself after it.
    await previewCard.getByText('Kept until it is deleted.').waitFor();
    await previewCard.getByLabel(`Hours until ${preview} is deleted`).fill('48');
    await previewCard.getByRole('button', { name: 'Set' }).click();
    await previewCard.getByText(/Deleted automatically in 2 days/).waitFor();
    const env = (await whole.platform.http().get(envPath(preview)).set(await auth(page)).expect(200)).body as { expiresAt: string };
    expect(Date.parse(env.expiresAt) - Date.now()).toBeGreaterThan(47 * 3600_000);
    await screenshot(page, 'deploy-10-preview');
  });

  it('deletes the preview only after confirming', async () => {
    const previewCard = card(preview);
    await previewCard.getByRole('button', { name: 'Delete preview' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(`Delete ${preview}?`).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await whole.platform.http().get(envPath(preview)).set(await auth(page)).expect(200);

    await previewCard.getByRole('button', { name: 'Delete preview' }).click();
    await dialog.getByRole('button', { name: 'Delete preview' }).click();
    await page.getByText(`Preview ${preview} was deleted.`).waitFor();
    await previewCard.waitFor({ state: 'detached' });
    await page.getByText('No preview environments').waitFor();
    await whole.platform.http().get(envPath(preview)).set(await auth(page)).expect(404);
    await eventually('the router to forget the preview', async () => (await viaRouter(previewHost)).status === 404);
    expect((await viaRouter(appHost)).status).toBe(200);
  });

  it('says why a first push failed and leads to the log', async () => {
    const broken = unique('broken');
    await page.goto('/apps/new');
    await page.getByLabel('App name').fill(broken);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: 'Deploy with git push' }).waitFor();
    const copy = await WorkingCopy.fromFixture('broken-step');
    try {
      const remote = new URL(`${whole.platform.url}/git/${broken}.git`);
      remote.username = 'git';
      remote.password = gitToken;
      const push = await copy.push(remote.toString(), 'main');
      expect(push.code).not.toBe(0);
    } finally {
      copy.remove();
    }

    const production = page.getByRole('article', { name: 'Environment production' });
    await production.locator('.card-head [data-status="build_failed"]').waitFor({ timeout: 30_000 });
    await production.getByText(/^The last build failed: /).waitFor();
    await screenshot(page, 'deploy-11-build-failed');
    await production.getByRole('link', { name: "Read the build's log" }).click();
    await page.locator('.build-head [data-status="failed"]').waitFor();
    await page.getByText('The build failed:').waitFor();
    await page.getByTestId('build-log').getByText('this step is about to fail').first().waitFor();
  });

  it('shows an operator the hosts, and cordons, uncordons and drains one', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).click();
    const host = page.locator(`tr[data-host="${whole.hostName}"]`);
    await host.waitFor();
    expect(await host.locator('td[data-label="Memory"]').innerText()).toContain('16 of 2048 MB booked');
    expect(await host.locator('td[data-label="Instances"]').innerText()).toBe('1');
    expect(await host.locator('td[data-label="Heartbeat"]').innerText()).toBe('just now');
    expect(await host.locator('[data-status]').first().getAttribute('data-status')).toBe('ready');

    await host.getByRole('button', { name: 'Cordon' }).click();
    await page.getByText(`${whole.hostName} is cordoned`).waitFor();
    await host.locator('[data-status="cordoned"]').waitFor();
    await screenshot(page, 'deploy-12-hosts');
    await host.getByRole('button', { name: 'Uncordon' }).click();
    await page.getByText(`${whole.hostName} takes new instances again.`).waitFor();
    await host.locator('[data-status="cordoned"]').waitFor({ state: 'detached' });

    await host.getByRole('button', { name: 'Drain' }).click();
    await page.getByRole('dialog').getByRole('button', { name: `Drain ${whole.hostName}` }).click();
    await host.locator('[data-status="draining"]').waitFor();
    await host.getByRole('button', { name: 'Uncordon' }).click();
    await host.locator('[data-status="ready"]').waitFor();
    const hosts = (await whole.platform.http().get('/api/hosts').set(await auth(page)).expect(200)).body as { name: string; state: string; cordoned: boolean }[];
    expect(hosts.find((h) => h.name === whole.hostName)).toMatchObject({ state: 'ready', cordoned: false });
  });

  it('fits a phone: the apps, the overview, a build log and the releases', async () => {
    const phone = await openPage(browser, whole.platform.url, { viewport: PHONE, phone: true, token: (await tokenOf(page))! });
    try {
      const p = phone.page;
      await p.goto('/apps');
      await p.locator(`li[data-app="${app}"] [data-status="running"]`).waitFor();
      await p.getByRole('link', { name: app, exact: true }).click();
      await p.getByRole('article', { name: 'Environment production' }).locator('tr[data-instance="web.1"]').waitFor();
      expect(await scrollsSideways(p)).toBe(false);
      await screenshot(p, 'phone-deploy-overview');

      await p.goto(`/apps/${app}/builds`);
      await p.locator('tr[data-build]').first().locator('a').first().click();
      await p.getByTestId('build-log').getByText('Built image').first().waitFor();
      expect(await scrollsSideways(p)).toBe(false);
      await screenshot(p, 'phone-deploy-build');

      await p.goto(`/apps/${app}/environments/production/releases`);
      await p.locator('tr[data-version="1"]').waitFor();
      expect(await scrollsSideways(p)).toBe(false);
      await screenshot(p, 'phone-deploy-releases');
      expect(phone.takeProblems()).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  /** The Authorization header of the session the page is signed in with. */
  async function auth(p: Page): Promise<{ authorization: string }> {
    return { authorization: `Bearer ${await tokenOf(p)}` };
  }
});
