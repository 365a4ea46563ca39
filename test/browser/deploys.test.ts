import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, screenshot } from '../support/browser';
import { apiHasRoute } from '../support/routes';
import { startPlatform, type RunningPlatform } from '../support/platform';
import { FAST, isolatedCluster, removeContainersOf } from '../support/runtime';
import { createApp, signUp, unique, type TestUser } from '../support/users';

const run = promisify(execFile);

// These need the build pipeline (issue 3) and releases (issue 4). Until their routes exist on
// the api role they are skipped, and say so in their names.
const HAS_BUILDS = apiHasRoute('GET', '/api/apps/:app/builds') && apiHasRoute('GET', '/api/apps/:app/builds/:id');
const HAS_ROLLBACK = HAS_BUILDS && apiHasRoute('GET', '/api/apps/:app/environments/:env/releases') && apiHasRoute('POST', '/api/apps/:app/environments/:env/releases/:version/rollback');
const withBuilds = HAS_BUILDS ? it : it.skip;
const withRollback = HAS_ROLLBACK ? it : it.skip;
const waiting = (what: string, ok: boolean) => (ok ? '' : ` [skipped: waits for ${what}]`);

describe('the guard that skips tests of routes yet to land', () => {
  it('sees the routes the api role has, and not ones it lacks', () => {
    expect(apiHasRoute('PATCH', '/api/apps/:app/environments/:env/config')).toBe(true);
    expect(apiHasRoute('DELETE', '/api/tokens/:id')).toBe(true);
    expect(apiHasRoute('GET', '/api/tokens/:id')).toBe(false);
    expect(apiHasRoute('GET', '/api/no/such/route')).toBe(false);
  });
});

describe('deploying, seen in the dashboard', () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let user: TestUser;
  let gitToken: string;
  let cluster: Awaited<ReturnType<typeof isolatedCluster>> | undefined;
  const hostName = unique('browser').replace(/[^a-z0-9-]/g, '');
  const repos: string[] = [];

  beforeAll(async () => {
    if (!HAS_BUILDS) return;
    // A database of its own: its scheduler would otherwise take on the releases other test
    // files left waiting for one, and fill this host with them.
    cluster = await isolatedCluster();
    const env = { ...FAST, ...cluster.env, BERTH_HOST_NAME: hostName, AGENT_MEMORY_MB: '2048', AGENT_CPU: '2' };
    [platform, browser] = await Promise.all([startPlatform(HAS_ROLLBACK ? ['api', 'builder', 'scheduler', 'agent'] : ['api', 'builder'], env), launchBrowser()]);
    user = await signUp(platform, 'deployer');
    gitToken = (await platform.http().post('/api/tokens').set(user.auth).send({ name: 'git', scopes: ['git'] }).expect(201)).body.token;
  }, 120_000);
  afterAll(async () => {
    repos.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
    await browser?.close();
    await platform?.close();
    removeContainersOf([hostName]);
    await cluster?.drop();
  });

  /** A git repository holding a static site that says `text`. */
  async function siteRepo(text: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'berth-dashboard-site-'));
    repos.push(dir);
    writeFileSync(join(dir, 'index.html'), `<!doctype html><title>site</title><h1>${text}</h1>\n`);
    await git(dir, 'init', '-q', '-b', 'main');
    await commitAll(dir, text);
    return dir;
  }
  const git = (dir: string, ...args: string[]) =>
    run('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'credential.helper=', ...args], { cwd: dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  async function commitAll(dir: string, message: string): Promise<string> {
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', message);
    return (await git(dir, 'rev-parse', 'HEAD')).stdout.trim();
  }
  const push = (dir: string, app: string) => git(dir, 'push', '-q', `http://git:${gitToken}@127.0.0.1:${new URL(platform.url).port}/git/${app}.git`, 'HEAD:main');

  withBuilds(`shows a build and its full log after a real git push${waiting('GET /api/apps/:app/builds (issue 3)', HAS_BUILDS)}`, async () => {
    const app = await createApp(platform, user, 'logs');
    const repo = await siteRepo('hello');
    await push(repo, app);
    const [build] = (await platform.http().get(`/api/apps/${app}/builds`).set(user.auth).expect(200)).body;
    const { log } = (await platform.http().get(`/api/apps/${app}/builds/${build.id}`).set(user.auth).expect(200)).body as { log: string };
    const lines = log.split('\n').filter((line) => line.trim());
    expect(lines.length).toBeGreaterThan(0);

    const tab = await openPage(browser, platform.url, { token: user.token });
    try {
      await tab.page.goto(`/apps/${app}/builds`);
      await tab.page.locator('[data-status="succeeded"]').first().click();
      const shown = tab.page.getByTestId('build-log');
      await shown.getByText(lines[lines.length - 1].trim(), { exact: false }).first().waitFor();
      expect(await shown.innerText()).toContain(lines[0].replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trim());
      await screenshot(tab.page, 'laptop-build-log');
      expect(tab.takeProblems()).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });

  withBuilds(`follows a running build's log until it ends${waiting('the build log stream (issue 3)', HAS_BUILDS)}`, async () => {
    const app = await createApp(platform, user, 'live');
    const repo = await siteRepo('live');
    const pushing = push(repo, app);
    const tab = await openPage(browser, platform.url, { token: user.token });
    try {
      let build: { id: string } | undefined;
      for (let i = 0; i < 300 && !build; i++) {
        build = (await platform.http().get(`/api/apps/${app}/builds`).set(user.auth)).body[0];
        if (!build) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(build).toBeDefined();
      await tab.page.goto(`/apps/${app}/builds/${build!.id}`);
      await pushing;
      // Whether the page caught it running or not, it ends on the final status and the whole log.
      await tab.page.locator('.build-head [data-status="succeeded"]').waitFor({ timeout: 60_000 });
      const { log } = (await platform.http().get(`/api/apps/${app}/builds/${build!.id}`).set(user.auth)).body as { log: string };
      const last = log.split('\n').filter((line) => line.trim()).pop()!;
      await tab.page.getByTestId('build-log').getByText(last.trim(), { exact: false }).first().waitFor();
      expect(tab.takeProblems()).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });

  withRollback(`rolls back to an earlier release after confirming${waiting('releases and rollback (issue 4)', HAS_ROLLBACK)}`, async () => {
    const app = await createApp(platform, user, 'rollback');
    const repo = await siteRepo('first');
    await push(repo, app);
    const firstSha = (await git(repo, 'rev-parse', 'HEAD')).stdout.trim();
    writeFileSync(join(repo, 'index.html'), '<!doctype html><h1>second</h1>\n');
    await commitAll(repo, 'second');
    await push(repo, app);
    const releasesPath = `/api/apps/${app}/environments/production/releases`;
    const current = async () => ((await platform.http().get(releasesPath).set(user.auth)).body as { version: number; current: boolean; image: { commitSha: string } }[]).find((r) => r.current);
    for (let i = 0; i < 120 && (await current())?.version !== 2; i++) await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await current())?.version).toBe(2);

    const tab = await openPage(browser, platform.url, { token: user.token });
    try {
      await tab.page.goto(`/apps/${app}/environments/production/releases`);
      await tab.page.getByRole('button', { name: 'Roll back to v1' }).click();
      const dialog = tab.page.getByRole('dialog');
      await dialog.getByText('Roll production back to v1?').waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect((await platform.http().get(releasesPath).set(user.auth)).body).toHaveLength(2);

      await tab.page.getByRole('button', { name: 'Roll back to v1' }).click();
      await dialog.getByRole('button', { name: 'Roll back to v1' }).click();
      await tab.page.getByText('Rolling back: v3').waitFor();
      await tab.page.getByRole('cell', { name: /^v3/ }).waitFor();
      const releases = (await platform.http().get(releasesPath).set(user.auth)).body as { version: number; image: { commitSha: string } }[];
      expect(releases.find((r) => r.version === 3)?.image.commitSha).toBe(firstSha);
      await screenshot(tab.page, 'laptop-releases-rollback');
      expect(tab.takeProblems()).toEqual([]);
    } finally {
      await tab.context.close();
      await platform.http().delete(`/api/apps/${app}`).set(user.auth);
    }
  });
});
