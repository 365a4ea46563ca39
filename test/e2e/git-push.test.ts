import { EventEmitter2 } from '@nestjs/event-emitter';
import { existsSync } from 'node:fs';
import request from 'supertest';
import { ENVIRONMENT_DELETED, EnvironmentDeletedEvent } from '@berth/tenant-apps';
import { GitRepos } from '@berth/git';
import { build, builds, engineImages, Pushes } from '../support/builds';
import { gitUrl, WorkingCopy } from '../support/git';
import { BuildSweeper } from '@berth/builds';
import { RunningPlatform, startPlatform } from '../support/platform';
import { signUp, TestUser } from '../support/users';

jest.setTimeout(120_000);

/** git push with the real git client to the running platform (api + builder), Dockerfile and static apps. */
describe('git push', () => {
  let platform: RunningPlatform;
  let owner: TestUser;
  const pushes = new Pushes(() => platform);
  const newApp = (user = owner) => pushes.app(user, 'push');
  const fixture = (name: string, branch = 'main') => pushes.fixture(name, { branch });

  beforeAll(async () => {
    // No scheduler runs here: pushes end once their release is recorded (test/e2e/durable-deploys.test.ts waits for them to serve).
    platform = await startPlatform(['api', 'builder'], { PREVIEW_TTL_HOURS: '72', GIT_PUSH_DEPLOY_WAIT_SECONDS: '0' });
    owner = await signUp(platform, 'owner');
  });
  afterAll(async () => {
    await pushes.cleanup();
    await platform?.close();
  });

  it('builds the production branch into a labelled image, shows the build and ends with the URL', async () => {
    const app = await newApp();
    const copy = await fixture('dockerfile');
    const sha = await copy.head();

    const push = await copy.push(gitUrl(platform, app, owner.token), 'main');
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('remote: -----> Dockerfile detected at the root: building it as given');
    expect(push.stderr).toMatch(/remote: STEP \d+\/\d+: RUN echo "made by a RUN step"/);
    expect(push.stderr).toMatch(new RegExp(`remote: -----> Built image localhost/berth/${app}:[0-9a-f]{12}`));
    expect(push.stderr).toMatch(new RegExp(`remote: -----> Released main \\(${sha.slice(0, 7)}\\) to production as v1; the push did not wait for it to serve \\(GIT_PUSH_DEPLOY_WAIT_SECONDS=0\\):\\s+remote:\\s+http://${app}\\.localhost:8080\\s`));

    const [listed] = await builds(platform, owner, app);
    expect(listed).toMatchObject({ environment: 'production', branch: 'main', commitSha: sha, status: 'succeeded', buildpack: 'dockerfile', failureReason: null });
    expect(new Date(listed.finishedAt!).getTime()).toBeGreaterThanOrEqual(new Date(listed.startedAt!).getTime());
    expect(listed.image).toMatchObject({ processTypes: { web: null } });
    expect(listed.image!.tag).toBe(`localhost/berth/${app}:${listed.image!.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`);

    const images = await engineImages(platform, `berth.app=${app}`);
    expect(images).toHaveLength(1);
    expect(images[0].Id).toBe(listed.image!.digest);
    expect(images[0].RepoTags).toContain(listed.image!.tag);
    expect(images[0].Labels).toMatchObject({ 'berth.app': app, 'berth.env': 'production', 'berth.commit': sha, 'berth.build': listed.id });
    expect(listed.image!.sizeBytes).toBe(images[0].Size);

    const detail = await build(platform, owner, app, listed.id);
    expect(detail.log).toContain('Dockerfile detected at the root');
    expect(detail.log).toContain('STEP 1/');
    expect(detail.log).toContain(`Built image ${listed.image!.tag}`);
  });

  it('lets members clone what was pushed and viewers fetch it, but not push', async () => {
    const app = await newApp();
    const copy = await fixture('static');
    expect((await copy.push(gitUrl(platform, app, owner.token), 'main')).code).toBe(0);

    const viewer = await signUp(platform, 'viewer');
    await platform.http().post(`/api/teams/${owner.team}/members`).set(owner.auth).send({ email: viewer.email, role: 'viewer' }).expect(201);
    const { copy: clone, result: cloned } = await WorkingCopy.clone(gitUrl(platform, app, viewer.token));
    pushes.track(clone);
    expect(cloned.code).toBe(0);
    expect(await clone.head()).toBe(await copy.head());
    expect(existsSync(`${clone.dir}/public/index.html`)).toBe(true);

    clone.write('extra.txt', 'viewer was here');
    await clone.commitAll('viewer change');
    const refused = await clone.push(gitUrl(platform, app, viewer.token), 'main');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/remote: This needs the member role on team "[^"]+"; you are viewer/);
    expect((await builds(platform, owner, app)).length).toBe(1);
  });

  it('asks for credentials, and refuses bad tokens and tokens without the git scope', async () => {
    const app = await newApp();
    const bare = await request(platform.url).get(`/git/${app}.git/info/refs?service=git-receive-pack`).expect(401);
    expect(bare.headers['www-authenticate']).toMatch(/^Basic realm="Berth"/);
    expect(bare.text).toMatch(/use any user name and a token with the "git" scope as the password/);

    const copy = await fixture('static');
    const anonymous = await copy.push(gitUrl(platform, app), 'main');
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/could not read Username/);

    const wrong = await copy.push(gitUrl(platform, app, 'berth_not-a-real-token'), 'main');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/remote: The token given as the password is invalid, expired or revoked/);
    expect(wrong.stderr).toMatch(/Authentication failed/);

    const readOnly = await platform.http().post('/api/tokens').set(owner.auth).send({ name: 'read only', scopes: ['read'] }).expect(201);
    const unscoped = await copy.push(gitUrl(platform, app, readOnly.body.token), 'main');
    expect(unscoped.code).not.toBe(0);
    expect(unscoped.stderr).toMatch(/remote: This token lacks the "git" scope/);

    const gitOnly = await platform.http().post('/api/tokens').set(owner.auth).send({ name: 'git', scopes: ['git'] }).expect(201);
    expect((await copy.push(gitUrl(platform, app, gitOnly.body.token), 'main')).code).toBe(0);
  });

  it("answers an unknown app and another team's app alike", async () => {
    const stranger = await signUp(platform, 'stranger');
    const theirs = await newApp(stranger);
    const copy = await fixture('static');
    const unknown = await copy.push(gitUrl(platform, 'no-such-app-here', owner.token), 'main');
    const foreign = await copy.push(gitUrl(platform, theirs, owner.token), 'main');
    for (const [result, name] of [[unknown, 'no-such-app-here'], [foreign, theirs]] as const) {
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`remote: There is no app named "${name}" that you can see.`);
      expect(result.stderr).toMatch(/not found/);
    }
    expect(await builds(platform, stranger, theirs)).toEqual([]);
  });

  it('deploys other branches to previews with a copy of production config, reuses built commits, and deletes previews with their branch', async () => {
    const app = await newApp();
    await platform.http().patch(`/api/apps/${app}/environments/production/config`).set(owner.auth).send({ GREETING: 'hello', SHARED: 'yes' }).expect(200);
    const copy = await fixture('static');
    const url = gitUrl(platform, app, owner.token);
    expect((await copy.push(url, 'main')).code).toBe(0);

    // The same commit on a new branch: a preview, and the image built for main is reused.
    const preview = await copy.push(url, 'main:feature/Login_Page');
    expect(preview.code).toBe(0);
    expect(preview.stderr).toContain('remote: -----> Created preview environment feature-login-page for branch feature/Login_Page (config copied from production)');
    expect(preview.stderr).toMatch(/was built before: reusing image localhost\/berth\/[^ ]+ \(no rebuild\)/);
    expect(preview.stderr).toContain(`http://feature-login-page--${app}.localhost:8080`);
    const env = await platform.http().get(`/api/apps/${app}/environments/feature-login-page`).set(owner.auth).expect(200);
    expect(env.body).toMatchObject({ kind: 'preview', branch: 'feature/Login_Page' });
    // PREVIEW_TTL_HOURS gives new previews a time to live.
    expect(new Date(env.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 71 * 3_600_000);
    const copied = await platform.http().get(`/api/apps/${app}/environments/feature-login-page/config`).set(owner.auth).expect(200);
    expect(copied.body).toEqual({ GREETING: 'hello', SHARED: 'yes' });
    const [previewBuild, productionBuild] = await builds(platform, owner, app);
    expect(previewBuild.environment).toBe('feature-login-page');
    expect(previewBuild.image!.id).toBe(productionBuild.image!.id);
    expect(await engineImages(platform, `berth.app=${app}`)).toHaveLength(1);

    // Later changes stay separate.
    await platform.http().patch(`/api/apps/${app}/environments/production/config`).set(owner.auth).send({ GREETING: 'changed' }).expect(200);
    expect((await platform.http().get(`/api/apps/${app}/environments/feature-login-page/config`).set(owner.auth)).body.GREETING).toBe('hello');

    // Deleting the branch deletes the environment and tells the rest of Berth.
    const deleted: EnvironmentDeletedEvent[] = [];
    const listener = (event: EnvironmentDeletedEvent) => void deleted.push(event);
    platform.app.get(EventEmitter2).on(ENVIRONMENT_DELETED, listener);
    try {
      const removal = await copy.push(url, ':feature/Login_Page');
      expect(removal.code).toBe(0);
      expect(removal.stderr).toContain('remote: -----> Deleted environment feature-login-page with branch feature/Login_Page');
    } finally {
      platform.app.get(EventEmitter2).off(ENVIRONMENT_DELETED, listener);
    }
    await platform.http().get(`/api/apps/${app}/environments/feature-login-page`).set(owner.auth).expect(404);
    expect(deleted).toEqual([expect.objectContaining({ appName: app, environmentName: 'feature-login-page', environmentId: env.body.id })]);
    expect((await copy.git('ls-remote', url)).stdout).not.toContain('feature/Login_Page');

    const production = await copy.push(url, ':main');
    expect(production.code).not.toBe(0);
    expect(production.stderr).toContain('remote:  !     "main" is the production branch');
  });

  it('accepts force pushes', async () => {
    const app = await newApp();
    const copy = await fixture('static');
    const url = gitUrl(platform, app, owner.token);
    expect((await copy.push(url, 'main')).code).toBe(0);
    copy.write('public/index.html', '<h1>rewritten history</h1>');
    await copy.git('add', '-A');
    await copy.git('commit', '--quiet', '--amend', '-m', 'rewritten');
    const plain = await copy.push(url, 'main');
    expect(plain.code).not.toBe(0);
    const forced = await copy.push(url, '--force', 'main');
    expect(forced.code).toBe(0);
    expect((await copy.git('ls-remote', url, 'refs/heads/main')).stdout).toContain(await copy.head());
  });

  it('rejects a push whose build fails, leaving no environment and no image behind', async () => {
    const app = await newApp();
    const copy = await fixture('broken-step', 'feature/broken');
    const push = await copy.push(gitUrl(platform, app, owner.token), 'feature/broken');
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('remote: this step is about to fail');
    expect(push.stderr).toMatch(/remote:  !     Step 2\/3 \(RUN echo "this step is about to fail" && exit 3\) failed \(exit status 3\): this step is about to fail/);
    expect(push.stdout).toContain('[remote rejected] (pre-receive hook declined)');
    const envs = await platform.http().get(`/api/apps/${app}/environments`).set(owner.auth).expect(200);
    expect(envs.body.map((e: { name: string }) => e.name)).toEqual(['production']);
    expect(await engineImages(platform, `berth.app=${app}`)).toEqual([]);
    expect((await copy.git('ls-remote', gitUrl(platform, app, owner.token))).stdout.trim()).toBe('');
  });

  it('removes the repository with the app', async () => {
    const app = await newApp();
    const copy = await fixture('static');
    expect((await copy.push(gitUrl(platform, app, owner.token), 'main')).code).toBe(0);
    const { body } = await platform.http().get(`/api/apps/${app}`).set(owner.auth).expect(200);
    const path = platform.app.get(GitRepos).path(body.id);
    expect(existsSync(path)).toBe(true);
    await platform.http().delete(`/api/apps/${app}`).set(owner.auth).expect(204);
    expect(existsSync(path)).toBe(false);
    // The images go with the next prune of an engine's agent or builder (this one has a builder).
    await platform.app.get(BuildSweeper).sweep();
    expect(await engineImages(platform, `berth.app=${app}`)).toEqual([]);
  });
});
