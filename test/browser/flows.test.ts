import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, screenshot, type WatchedPage } from '../support/browser';
import { startPlatform, type RunningPlatform } from '../support/platform';
import { createApp, signUp, unique, type TestUser } from '../support/users';

jest.setTimeout(60_000);

/** Problems other than the 404s of an app's own resources (expected once the app is deleted). */
const otherThanAppNotFound = (problems: string[]) => problems.filter((problem) => !/status of 404 .*\/api\/apps\/[^/]+\//.test(problem));

/** Where the dashboard's flows end: each one somewhere useful, in words written for people. */
describe('dashboard flows end somewhere useful', () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let user: TestUser;
  let tab: WatchedPage;
  let page: Page;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(['api']), launchBrowser()]);
    user = await signUp(platform, 'flows');
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.close();
  });
  beforeEach(async () => {
    tab = await openPage(browser, platform.url, { token: user.token });
    page = tab.page;
  });
  afterEach(async () => {
    expect(tab.takeProblems()).toEqual([]);
    await tab.context.close();
  });

  it('creating a git token from an app page returns to that page', async () => {
    const app = await createApp(platform, user, 'tok');
    await page.goto(`/apps/${app}/settings`);
    await page.getByRole('link', { name: 'Create a git token' }).click();
    await page.waitForURL('**/tokens?new=git&return=*');
    await page.getByRole('link', { name: `Back to ${app}` }).waitFor();
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('heading', { name: 'Token “git push” created' }).waitFor();
    await screenshot(page, 'laptop-token-return');
    await page.getByRole('button', { name: `Done, I have copied it: back to ${app}` }).click();
    await page.waitForURL(`**/apps/${app}/settings`);
    await page.getByRole('heading', { name: 'Git remote' }).waitFor();
  });

  it('the token page opened on its own stays there once the token is copied', async () => {
    await page.goto('/tokens');
    await page.getByLabel('Name').fill(unique('ci'));
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('button', { name: 'Done, I have copied it' }).click();
    await page.getByRole('heading', { name: 'Create a token' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/tokens');
  });

  it("a deleted app's page, after Back, says it was deleted and leads to the app list", async () => {
    const app = await createApp(platform, user, 'gone');
    await page.goto(`/apps/${app}`);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: `Delete ${app}` }).click();
    await page.getByRole('dialog').getByRole('textbox').fill(app);
    await page.getByRole('button', { name: 'Delete this app' }).click();
    await page.waitForURL('**/apps');

    tab.expectHttpError(404, `/api/apps/${app}`);
    // Deleting replaced the settings page in the history: Back is the app's overview.
    await page.goBack();
    await page.waitForURL(`**/apps/${app}`);
    await page.getByText('This app was deleted or you no longer have access to it.').waitFor();
    // When Back comes before the app's frame has unmounted, the page inside asks first and gets
    // 404s of its own (then the frame checks again): those are expected; nothing else is.
    expect(otherThanAppNotFound(tab.takeProblems())).toEqual([]);
    // Words for people: no API requests to copy.
    expect(await page.locator('main').innerText()).not.toMatch(/GET \/api|POST \/api/);
    await screenshot(page, 'laptop-app-deleted');
    await page.getByRole('link', { name: 'Go to your apps' }).click();
    await page.waitForURL('**/apps');
  });

  it("an app deleted elsewhere while its page is open says so at the page's next poll", async () => {
    const app = await createApp(platform, user, 'elsewhere');
    await page.goto(`/apps/${app}/environments/production/releases`);
    await page.getByRole('heading', { name: app }).waitFor();
    // Declared before the deletion: the frame may ask in the moment between the two.
    tab.expectHttpError(404, `/api/apps/${app}`);
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
    // The releases page polls: its next answer is a 404, so the frame checks, and says the app is gone.
    await page.getByText('This app was deleted or you no longer have access to it.').waitFor();
    // The inner page's own 404s are expected here; the frame's own request came, and nothing else.
    expect(otherThanAppNotFound(tab.takeProblems())).toEqual([]);
  });

  it('sign-up refuses a common password, saying why, and hints while typing', async () => {
    const signup = await openPage(browser, platform.url);
    try {
      await signup.page.goto('/signup');
      await signup.page.getByLabel('Email').fill(`${unique('weak')}@example.com`);
      await signup.page.getByLabel('Password').fill('password');
      await signup.page.getByText('Too easy to guess: it is one of the ten most used passwords.').waitFor();
      signup.expectHttpError(400, '/api/auth/signup');
      await signup.page.getByRole('button', { name: 'Sign up' }).click();
      await signup.page.locator('.field-error', { hasText: 'This password is too easy to guess' }).waitFor();
      expect(new URL(signup.page.url()).pathname).toBe('/signup');

      await signup.page.getByLabel('Password').fill('violet anchor pumpkin');
      await signup.page.getByText('Strong.').waitFor();
      await signup.page.getByRole('button', { name: 'Sign up' }).click();
      await signup.page.waitForURL('**/apps?welcome=1');
      expect(signup.takeProblems()).toEqual([]);
    } finally {
      await signup.context.close();
    }
  });
});
