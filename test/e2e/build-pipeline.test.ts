import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { BuildSweeper } from '@berth/builds';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { build, builds, engineImages, eventually, Pushes } from '../support/builds';
import { gitUrl } from '../support/git';
import { dropRedisPrefix, ownRedisPrefix, RunningPlatform, startPlatform, startRoles } from '../support/platform';
import { signUp, TestUser } from '../support/users';

jest.setTimeout(180_000);

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Reads a whole server-sent-event response (the stream ends after `event: end`). */
async function readEvents(platform: RunningPlatform, user: TestUser, path: string, headers: Record<string, string> = {}): Promise<{ events: SseEvent[]; contentType: string | null }> {
  const response = await fetch(`${platform.url}${path}`, { headers: { ...user.auth, ...headers } });
  expect(response.status).toBe(200);
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const event: SseEvent = { event: 'message', data: '' };
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(': ');
        if (field === 'event') event.event = rest.join(': ');
        if (field === 'id') event.id = rest.join(': ');
        if (field === 'data') event.data = rest.join(': ');
      }
      return event;
    });
  return { events, contentType: response.headers.get('content-type') };
}

/** The build pipeline around the buildpacks: live logs, the release hand-off, limits, ordering and faults. */
describe('build pipeline', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => platform);
  const newApp = () => pushes.app(user, 'pipe');
  /** A fixture with a fresh nonce, so its steps run rather than come from the cache. */
  const fixture = (name: string) => pushes.fixture(name, { nonce: true });

  beforeAll(async () => {
    // No scheduler runs here: pushes end once their release is recorded, unless a test says otherwise.
    platform = await startPlatform(['api', 'builder'], { GIT_PUSH_DEPLOY_WAIT_SECONDS: '0' });
    user = await signUp(platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await platform?.close();
  });

  it('streams the log as server-sent events while building, then replays it with the end', async () => {
    const app = await newApp();
    const copy = await fixture('slow-step');
    const pushing = copy.push(gitUrl(platform, app, user.token), 'main');
    const started = await eventually(async () => (await builds(platform, user, app))[0], 30_000, 'the build to appear');

    const live = await readEvents(platform, user, `/api/apps/${app}/builds/${started.id}/log`);
    expect(live.contentType).toMatch(/^text\/event-stream/);
    const lines = live.events.filter((e) => e.event === 'message').map((e) => e.data);
    expect(lines).toContain('-----> Dockerfile detected at the root: building it as given');
    expect(lines.some((line) => /^slow step of [0-9a-f]+ ends$/.test(line))).toBe(true);
    expect(live.events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ status: 'succeeded', failureReason: null }) });
    expect((await pushing).code).toBe(0);

    const replay = await readEvents(platform, user, `/api/apps/${app}/builds/${started.id}/log`);
    expect(replay.events.map((e) => e.data)).toEqual(live.events.map((e) => e.data));

    // Resuming after an event sends only what followed it.
    const middle = live.events.filter((e) => e.id)[2];
    const resumed = await readEvents(platform, user, `/api/apps/${app}/builds/${started.id}/log`, { 'Last-Event-ID': middle.id! });
    expect(resumed.events.length).toBeLessThan(live.events.length);
    expect(resumed.events.at(-1)!.event).toBe('end');

    // Another team sees nothing.
    const stranger = await signUp(platform, 'stranger');
    await platform.http().get(`/api/apps/${app}/builds/${started.id}/log`).set(stranger.auth).expect(404);
  });

  it('releases a successful build before the push ends; a release that does not serve in time fails the push and leaves the branch', async () => {
    const app = await newApp();
    const copy = await pushes.fixture('static');
    const url = gitUrl(platform, app, user.token);
    let push = await copy.push(url, 'main');
    expect(push.code).toBe(0);
    expect(push.stderr).toMatch(/remote: -----> Releasing v1…\s+remote:\s+Not waiting for v1 to serve \(GIT_PUSH_DEPLOY_WAIT_SECONDS=0\)[\s\S]*remote: -----> Released main \([0-9a-f]{7}\) to production as v1/);
    const [only] = await builds(platform, user, app);
    const db = platform.app.get(PrismaService);
    expect(await db.release.findMany({ where: { buildId: only.id }, select: { version: true } })).toEqual([{ version: 1 }]);
    expect((await build(platform, user, app, only.id)).log).toContain('-----> Releasing v1…');
    const served = await copy.head();

    // Waiting for the release to serve, with no scheduler to roll it out: the push gives up.
    copy.write('public/index.html', '<h1>second</h1>');
    await copy.commitAll('second');
    const config = platform.app.get(BerthConfig);
    config.git.pushDeployWaitMs = 1000;
    try {
      push = await copy.push(url, 'main');
    } finally {
      config.git.pushDeployWaitMs = 0;
    }
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/remote:  !     Release v2 (is queued: no scheduler has taken it in 1 s|is still queued after 1 s|waits for room on a host: )/);
    expect(push.stderr).toContain('remote:  !     main was not moved on Berth');
    expect(push.stderr).not.toMatch(/Deployed main|Released main/);
    expect((await copy.git('ls-remote', url, 'refs/heads/main')).stdout).toContain(served);
    // The release goes on without the push; pushing the commit again is not "Everything up-to-date".
    expect(await db.release.count({ where: { environment: { app: { name: app } } } })).toBe(2);
    push = await copy.push(url, 'main');
    expect(push.code).toBe(0);
    expect(push.stderr).not.toContain('Everything up-to-date');
    expect(push.stderr).toMatch(/Released main \([0-9a-f]{7}\) to production as v3/);
  });

  it('runs every build step under the memory and CPU limits', async () => {
    const app = await newApp();
    const copy = await fixture('build-limits');
    const push = await copy.push(gitUrl(platform, app, user.token), 'main');
    expect(push.code).toBe(0);
    const memory = platform.config.builds.memoryBytes;
    expect(push.stderr).toMatch(new RegExp(`remote: memory limit: ${memory}\\s`));
    expect(push.stderr).toMatch(new RegExp(`remote: cpu quota: ${Math.round(platform.config.builds.cpus * 100000)} per 100000\\s`));
  });

  it('builds one environment one push at a time, in push order, while another app builds alongside', async () => {
    const [first, other] = [await newApp(), await newApp()];
    const a1 = await fixture('slow-step');
    const pushes = [a1.push(gitUrl(platform, first, user.token), 'main')];
    await eventually(async () => (await builds(platform, user, first)).length === 1, 30_000, 'the first build');
    a1.write('nonce', randomBytes(8).toString('hex'));
    await a1.commitAll('second push');
    pushes.push(a1.push(gitUrl(platform, first, user.token), '--force', 'main:refs/heads/main'));
    await eventually(async () => (await builds(platform, user, first)).length === 2, 30_000, 'the second build');
    const b1 = await fixture('slow-step');
    pushes.push(b1.push(gitUrl(platform, other, user.token), 'main'));
    await Promise.all(pushes);

    const [second, firstBuild] = await builds(platform, user, first);
    const [otherBuild] = await builds(platform, user, other);
    for (const b of [firstBuild, second, otherBuild]) expect(b.status).toBe('succeeded');
    expect(new Date(second.startedAt!).getTime()).toBeGreaterThanOrEqual(new Date(firstBuild.finishedAt!).getTime());
    expect(new Date(otherBuild.startedAt!).getTime()).toBeLessThan(new Date(second.finishedAt!).getTime());
    expect((await build(platform, user, first, second.id)).log).toContain('Queued behind 1 earlier build of production');
  });

  it('marks builds that no builder will finish as failed, with the reason', async () => {
    const app = await newApp();
    const db = platform.app.get(PrismaService);
    const { body } = await platform.http().get(`/api/apps/${app}`).set(user.auth);
    const env = await db.environment.findFirstOrThrow({ where: { appId: body.id } });
    const longAgo = new Date(Date.now() - 10 * 60_000);
    const orphan = await db.build.create({ data: { appId: body.id, environmentId: env.id, commitSha: 'a'.repeat(40), branch: 'main', status: 'building', createdAt: longAgo, startedAt: longAgo } });
    const lost = await db.build.create({ data: { appId: body.id, environmentId: env.id, commitSha: 'b'.repeat(40), branch: 'main', status: 'queued', createdAt: longAgo } });

    expect(await platform.app.get(BuildSweeper).sweep()).toBeGreaterThanOrEqual(2);
    expect(await build(platform, user, app, orphan.id)).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/^The builder running this build stopped/) });
    expect(await build(platform, user, app, lost.id)).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/^No builder took this build/) });
    const { events } = await readEvents(platform, user, `/api/apps/${app}/builds/${orphan.id}/log`);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: expect.stringContaining('"status":"failed"') });
  });
});

describe('build time limit', () => {
  const prefix = ownRedisPrefix('limit');
  let platform: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => platform);

  // Its own queue (Redis prefix), so only this platform's builder, with its short limit, takes its builds.
  beforeAll(async () => {
    platform = await startPlatform(['api', 'builder'], { BUILD_TIMEOUT_SECONDS: '4', BERTH_REDIS_PREFIX: prefix, GIT_PUSH_DEPLOY_WAIT_SECONDS: '0' });
    user = await signUp(platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await platform?.close();
    await dropRedisPrefix(prefix);
  });

  it('stops a build over BUILD_TIMEOUT_SECONDS, fails the push with why, and leaves no image or process', async () => {
    const app = await pushes.app(user, 'slow');
    const copy = await pushes.fixture('broken-slow');
    const push = await copy.push(gitUrl(platform, app, user.token), 'main');
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('remote: sleeping past the time limit');
    expect(push.stderr).toContain('remote:  !     The build took longer than 4 s (BUILD_TIMEOUT_SECONDS) and was stopped.');
    const [only] = await builds(platform, user, app);
    expect(only).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/took longer than 4 s/) });
    expect(await engineImages(platform, `berth.app=${app}`)).toEqual([]);
    expect(existsSync(`/sys/fs/cgroup/pids/berth-build-${only.id}`) || existsSync(`/sys/fs/cgroup/berth-build-${only.id}`)).toBe(false);
  });
});

describe('a builder that stops mid-build', () => {
  const prefix = ownRedisPrefix('restart');
  let api: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => api);
  const contexts: { close(): Promise<void> }[] = [];

  // The api alone, and builders started and stopped by the test, on their own queue.
  beforeAll(async () => {
    api = await startPlatform(['api'], { BERTH_REDIS_PREFIX: prefix, GIT_PUSH_DEPLOY_WAIT_SECONDS: '0' });
    user = await signUp(api);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await pushes.cleanup();
    await api?.close();
    await dropRedisPrefix(prefix);
  });

  it('has its build retried by another builder, and the push still succeeds', async () => {
    const app = await pushes.app(user, 'restart');
    const copy = await pushes.fixture('slow-step', { nonce: true });

    const first = await startRoles(['builder'], { BERTH_REDIS_PREFIX: prefix });
    contexts.push(first);
    const pushing = copy.push(gitUrl(api, app, user.token), 'main');
    const building = await eventually(async () => {
      const [b] = await builds(api, user, app);
      return b && (await build(api, user, app, b.id)).log?.includes('slow step of') ? b : null;
    }, 60_000, 'the slow step to start');
    await first.close();

    const second = await startRoles(['builder'], { BERTH_REDIS_PREFIX: prefix });
    contexts.push(second);
    const push = await pushing;
    expect(push.code).toBe(0);
    expect(push.stderr).toMatch(/remote: -----> The build was interrupted \(the builder stopped while building\); a builder will try again\./);
    expect(push.stderr).toMatch(/remote: -----> Building again: the previous attempt was interrupted/);
    expect(await build(api, user, app, building.id)).toMatchObject({ status: 'succeeded' });
    expect(await engineImages(api, `berth.app=${app}`)).toHaveLength(1);
  });
});
