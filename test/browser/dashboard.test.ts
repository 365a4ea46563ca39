import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, PHONE, screenshot, scrollsSideways, tokenOf, type WatchedPage } from '../support/browser';
import { startPlatform, type RunningPlatform } from '../support/platform';
import { signUp, unique } from '../support/users';

jest.setTimeout(60_000);

describe('dashboard in a browser', () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let tab: WatchedPage;
  let page: Page;
  const email = `${unique('ada')}@example.com`;
  const appName = unique('web');

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(['api']), launchBrowser()]);
    tab = await openPage(browser, platform.url);
    page = tab.page;
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.close();
  });
  afterEach(() => {
    // Any console error or uncaught exception in the page fails the test that caused it.
    expect(tab.takeProblems()).toEqual([]);
  });

  it('signs up, and lands on an empty apps list that says what to do next', async () => {
    await page.goto('/');
    await page.waitForURL('**/login?next=*');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('short');
    tab.expectHttpError(400, '/api/auth/signup');
    await page.getByRole('button', { name: 'Sign up' }).click();
    // isVisible() looks once, at the click: the answer and the page's update come after it.
    await page.getByText('must be 8 to 200 characters long').waitFor();

    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'No apps yet' }).waitFor();
    await page.getByText('Welcome to Berth.').waitFor();
    expect(page.url()).toContain('/apps');
    await page.getByText(email).waitFor();
    // Hosts are for the operators of the installation only.
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).count()).toBe(0);
    await screenshot(page, 'laptop-apps-empty');
  });

  it('creates an app and shows the git remote and the first push', async () => {
    await page.getByRole('link', { name: 'Create your first app' }).click();
    await page.getByLabel('App name').fill('Bad Name!');
    tab.expectHttpError(400, '/api/apps');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.locator('.field-error').first().waitFor();

    await page.getByLabel('App name').fill(appName);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.waitForURL(`**/apps/${appName}?created=1`);
    const commands = page.getByLabel('First push');
    await commands.waitFor();
    const text = await commands.innerText();
    expect(text).toContain(`git remote add berth ${platform.url}/git/${appName}.git`);
    expect(text).toContain('git push berth main');
    await page.getByText('the password is an API token with the').waitFor();
    await page.getByRole('article', { name: 'Environment production' }).waitFor();
    await page.getByText(`${appName}.localhost`).first().waitFor();
    await screenshot(page, 'laptop-app-created');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Apps' }).click();
    await page.getByRole('link', { name: appName, exact: true }).waitFor();
  });

  it('edits config vars: saved as one change, masked after a reload, errors beside the var', async () => {
    await page.goto(`/apps/${appName}/environments/production/config`);
    await page.getByText('No config vars yet').waitFor();
    await page.getByRole('button', { name: 'Add a variable' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill('GREETING');
    await page.getByLabel('Value of GREETING').fill('hello from the browser');
    await page.getByRole('button', { name: 'Add a variable' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill('DATABASE_URL');
    await page.getByLabel('Value of DATABASE_URL').fill('postgres://secret@db/app');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();

    const saved = await platform.http().get(`/api/apps/${appName}/environments/production/config`).set(await authOf(page));
    expect(saved.body).toEqual({ GREETING: 'hello from the browser', DATABASE_URL: 'postgres://secret@db/app' });

    await page.reload();
    await page.getByLabel('Value of GREETING (hidden)').waitFor();
    expect(await page.content()).not.toContain('hello from the browser');
    await page.getByRole('button', { name: 'Reveal GREETING' }).click();
    await expect(page.getByLabel('Value of GREETING').inputValue()).resolves.toBe('hello from the browser');

    // Change one, remove one, and add a bad name: the server refuses the whole change and says which var.
    await page.getByLabel('Value of GREETING').fill('hello again');
    await page.getByRole('button', { name: 'Remove DATABASE_URL' }).click();
    await page.getByRole('button', { name: 'Add a variable' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill('1BAD');
    await page.getByText('3 unsaved changes').waitFor();
    tab.expectHttpError(400, `/api/apps/${appName}/environments/production/config`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    const badRow = page.locator('li.config-row[data-key="1BAD"]');
    await badRow.getByText('must be a POSIX environment variable name').waitFor();
    await badRow.getByRole('button', { name: 'Remove 1BAD' }).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    const after = await platform.http().get(`/api/apps/${appName}/environments/production/config`).set(await authOf(page));
    expect(after.body).toEqual({ GREETING: 'hello again' });
    await screenshot(page, 'laptop-config');
  });

  it('creates a token, shows it once, and revokes it', async () => {
    // The push instructions link to a token form made for git.
    await page.goto(`/apps/${appName}`);
    await page.getByRole('link', { name: 'Create a git token' }).click();
    await expect(page.getByLabel('Name').inputValue()).resolves.toBe('git push');
    expect(await page.getByRole('checkbox', { name: /git/ }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: /write/ }).isChecked()).toBe(false);
    await page.getByLabel('Name').fill('laptop git');
    await page.getByRole('checkbox', { name: /read/ }).check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('New token').inputValue();
    expect(secret).toMatch(/^berth_/);
    await page.getByText('it is shown only this once').waitFor();
    await screenshot(page, 'laptop-token-created');
    await platform.http().get('/api/auth/me').set('authorization', `Bearer ${secret}`).expect(200);

    // Made from the app's page: done, it goes back there.
    await page.getByRole('button', { name: `Done, I have copied it: back to ${appName}` }).click();
    await page.waitForURL(`**/apps/${appName}`);
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    const row = page.locator('tr[data-token="laptop git"]');
    await expect(row.innerText()).resolves.toContain('read, git');
    await row.getByRole('button', { name: 'Revoke laptop git' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('laptop git was revoked.').waitFor();
    await row.waitFor({ state: 'detached' });
    await platform.http().get('/api/auth/me').set('authorization', `Bearer ${secret}`).expect(401);
  });

  it('adds a team member, changes their role and removes them', async () => {
    const grace = await signUp(platform, 'grace');
    await page.getByRole('link', { name: 'Teams' }).click();
    const team = (await platform.http().get('/api/teams').set(await authOf(page))).body[0].name as string;
    await page.getByRole('link', { name: team }).click();
    await page.getByLabel('Email').fill('nobody-here@example.com');
    tab.expectHttpError(404, `/api/teams/${team}/members`);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('Ask them to sign up first').waitFor();

    await page.getByLabel('Email').fill(grace.email);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText(`${grace.email} joined as viewer.`).waitFor();
    await page.getByLabel(`Role of ${grace.email}`).selectOption('member');
    await page.getByText(`${grace.email} is now member.`).waitFor();
    const members = (await platform.http().get(`/api/teams/${team}`).set(await authOf(page))).body.members as { email: string; role: string }[];
    expect(members.find((m) => m.email === grace.email)?.role).toBe('member');
    await screenshot(page, 'laptop-team');

    await page.locator(`tr[data-email="${grace.email}"]`).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove member' }).click();
    await page.getByText(`${grace.email} was removed.`).waitFor();
    const left = (await platform.http().get(`/api/teams/${team}`).set(await authOf(page))).body.members as { email: string }[];
    expect(left.map((m) => m.email)).toEqual([email]);
  });

  it('works on a phone: menu, app page and config fit the screen', async () => {
    const token = await tokenOf(page);
    const phone = await openPage(browser, platform.url, { viewport: PHONE, phone: true, token: token! });
    try {
      const p = phone.page;
      await p.goto('/apps');
      await p.getByRole('link', { name: appName, exact: true }).waitFor();
      expect(await p.getByRole('link', { name: 'Teams' }).isVisible()).toBe(false);
      await p.getByRole('button', { name: 'Menu' }).click();
      await p.getByRole('link', { name: 'Teams' }).waitFor({ state: 'visible' });
      await screenshot(p, 'phone-apps-menu');
      await p.getByRole('button', { name: 'Menu' }).click();

      await p.getByRole('link', { name: appName, exact: true }).click();
      await p.getByLabel('First push').waitFor();
      await expectNoSidewaysScroll(p);
      await screenshot(p, 'phone-app');

      await p.getByRole('link', { name: 'Config' }).first().click();
      await p.getByLabel('Value of GREETING (hidden)').waitFor();
      await expectNoSidewaysScroll(p);
      await screenshot(p, 'phone-config');

      await p.goto('/tokens');
      await p.getByRole('heading', { name: 'Your tokens' }).waitFor();
      await expectNoSidewaysScroll(p);
      await screenshot(p, 'phone-tokens');
      expect(phone.takeProblems()).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('deletes the app only after its name is typed', async () => {
    const doomed = unique('doomed');
    await platform.http().post('/api/apps').set(await authOf(page)).send({ name: doomed }).expect(201);
    await page.goto(`/apps/${doomed}/settings`);
    await page.getByRole('button', { name: `Delete ${doomed}` }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete this app' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type .* to confirm/).fill(doomed);
    await confirm.click();
    await page.waitForURL('**/apps');
    await page.getByRole('link', { name: appName, exact: true }).waitFor();
    expect(await page.getByRole('link', { name: doomed, exact: true }).count()).toBe(0);
    await platform.http().get(`/api/apps/${doomed}`).set(await authOf(page)).expect(404);
  });

  it('logs out, and logs back in to the page it was on', async () => {
    await page.goto(`/apps/${appName}/settings`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login?next=*');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('wrong password');
    tab.expectHttpError(401, '/api/auth/login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('The email or password is wrong').waitFor();
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`**/apps/${appName}/settings`);
    await page.getByRole('heading', { name: 'Git remote' }).waitFor();
  });
});

/** The Authorization header of the session the page is signed in with. */
async function authOf(page: Page): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await tokenOf(page)}` };
}

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  expect(await scrollsSideways(page)).toBe(false);
}
