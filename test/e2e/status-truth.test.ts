import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pushes } from '../support/builds';
import { FullStack, startFullStack } from '../support/fullstack';
import { gitUrl, GitResult, WorkingCopy } from '../support/git';
import { eventually } from '../support/router';
import { signUp, TestUser } from '../support/users';

jest.setTimeout(600_000);

interface Status {
  state: string;
  message: string;
  hint: string;
  latestPush?: { state: string; message: string; hint: string } | null;
}

/**
 * One truth on every surface: for each way an environment can be down, the push's last words,
 * `status` in GET /api/apps/:app/environments/:env and the router's 503 page carry the same
 * state, message and hint (they are derived by one function, EnvironmentStatusService).
 * Real pushes (the `states` fixture, a Dockerfile app that fails as asked), real containers
 * (Podman), real HTTP through HAProxy.
 */
describe('every surface tells the same story', () => {
  let stack: FullStack;
  let user: TestUser;
  const pushes = new Pushes(() => stack.platform);

  beforeAll(async () => {
    stack = await startFullStack({
      env: {
        // A preview's first release asks more memory than any host has: it waits for room.
        FORMATION_PREVIEW_MEMORY_MB: '4096',
        // Long enough that a release waiting for room is still waiting when it is looked at.
        ROLLOUT_TIMEOUT_SECONDS: '300',
      },
    });
    user = await signUp(stack.platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await stack?.close();
  });

  const api = () => stack.platform.http();
  const hostOf = (app: string, env = 'production') => `${env === 'production' ? '' : `${env}--`}${app}.localhost:${stack.routerPort}`;

  async function statusOf(app: string, env = 'production'): Promise<Status> {
    return (await api().get(`/api/apps/${app}/environments/${env}`).set(user.auth).expect(200)).body.status;
  }

  /** The router's 503 page as curl gets it: "503 <title>\n\n<message>\n<hint>\n…". */
  async function page(app: string, env = 'production'): Promise<{ status: number; message: string; hint: string }> {
    const answer = await stack.viaRouter(hostOf(app, env));
    const [, , message, hint] = answer.body.split('\n');
    return { status: answer.status, message, hint };
  }

  /** The push's last words: the " !     " line and the hint under it, without git's "remote: ". */
  function lastWords(push: GitResult, message: string): string[] {
    const lines = push.stderr.split('\n').map((line) => line.replace(/^remote: /, '').replace(/\s+$/, ''));
    const at = lines.indexOf(` !     ${message}`);
    return at < 0 ? [] : [lines[at].slice(' !     '.length), lines[at + 1].trim()];
  }

  async function appWith(stem: string, mode: string, dockerfile?: (text: string) => string): Promise<{ app: string; copy: WorkingCopy }> {
    const app = await pushes.app(user, stem);
    const copy = await pushes.fixture('states', { nonce: true });
    copy.write('mode', `${mode}\n`);
    if (dockerfile) copy.write('Dockerfile', dockerfile(readFileSync(join(copy.dir, 'Dockerfile'), 'utf8')));
    await copy.commitAll(mode);
    return { app, copy };
  }

  /** The push failed, and its last words, the API and the 503 page say the same. */
  async function sameEverywhere(app: string, push: GitResult, state: string, message: RegExp, env = 'production'): Promise<Status> {
    expect(push.code).not.toBe(0);
    const status = await statusOf(app, env);
    expect(status.state).toBe(state);
    expect(status.message).toMatch(message);
    expect(lastWords(push, status.message)).toEqual([status.message, status.hint]);
    const shown = await page(app, env);
    expect(shown).toEqual({ status: 503, message: status.message, hint: status.hint });
    return status;
  }

  it('building: the API and the 503 page say the first build runs, and the push goes on to deploy', async () => {
    const { app, copy } = await appWith('building', 'serve', (text) => text.replace('COPY run.sh', 'RUN sleep 20\nCOPY run.sh'));
    const pushing = copy.push(gitUrl(stack.platform, app, user.token), 'main');
    const status = await eventually(() => statusOf(app), (s) => s.state === 'building', 'the first build to run', 120_000);
    expect(status.message).toBe('The first build of this environment is running.');
    expect(await page(app)).toEqual({ status: 503, message: status.message, hint: status.hint });
    const push = await pushing;
    expect(push.stderr).toContain('RUN sleep 20');
    // On failure, the push's last lines say why.
    expect({ code: push.code, end: push.code === 0 ? '' : push.stderr.split('\n').slice(-8).join('\n') }).toEqual({ code: 0, end: '' });
    expect(await statusOf(app)).toMatchObject({ state: 'running' });
  });

  it('build failed', async () => {
    const { app, copy } = await appWith('buildfail', 'serve', (text) => text.replace('USER app', 'RUN echo "no such tool" && exit 3\nUSER app'));
    const push = await copy.push(gitUrl(stack.platform, app, user.token), 'main');
    await sameEverywhere(app, push, 'build_failed', /^The last build failed: /);
  });

  it('release failed: the build succeeded, the web process exits at start', async () => {
    const { app, copy } = await appWith('relfail', 'exit');
    const push = await copy.push(gitUrl(stack.platform, app, user.token), 'main');
    await sameEverywhere(app, push, 'release_failed', /^Release v1 failed to start: web\.1 exited with code 1\.$/);
    // The Builds list tells "build succeeded, release failed" apart.
    const [build] = (await api().get(`/api/apps/${app}/builds`).set(user.auth).expect(200)).body;
    expect(build).toMatchObject({ status: 'succeeded', release: { version: 1, status: 'failed' } });
  });

  it('OOM-killed through a parent that exits 1: reported as out of memory, not as exit code 1', async () => {
    const { app, copy } = await appWith('oomstart', 'oom');
    const push = await copy.push(gitUrl(stack.platform, app, user.token), 'main');
    const status = await sameEverywhere(app, push, 'release_failed', /^Release v1 failed to start: web\.1 ran out of memory at 256 MB and was killed\.$/);
    expect(status.hint).toMatch(/memoryMb/);
  });

  it('waiting for room: a formation larger than any host; the push does not exit 0', async () => {
    const { app, copy } = await appWith('room', 'serve');
    await copy.git('checkout', '--quiet', '-b', 'big');
    const push = await copy.push(gitUrl(stack.platform, app, user.token), 'big');
    expect(push.stderr).not.toMatch(/Deployed big/);
    const status = await sameEverywhere(app, push, 'unplaced', /^Release v1 waits for room on a host: no host is large enough for /, 'big');
    expect(`${status.message} ${status.hint}`).not.toMatch(/reload/);
    expect(status.hint).toMatch(/formation/);
  });

  /**
   * A release that served, then crashes at every start from CRASH_AT on (a config change: a
   * release with no build). The push had said "Deployed": the API and the 503 page agree.
   */
  async function crashLoop(stem: string, how: 'exit' | 'oom'): Promise<Status> {
    const { app, copy } = await appWith(stem, 'serve');
    const push = await copy.push(gitUrl(stack.platform, app, user.token), 'main');
    expect(push.code).toBe(0);
    // Time enough for v2 to become current first (a rollout of a config change takes seconds).
    const crashAt = Math.floor(Date.now() / 1000) + 45;
    await api()
      .patch(`/api/apps/${app}/environments/production/config`)
      .set(user.auth)
      .send({ CRASH_AT: String(crashAt), CRASH_HOW: how })
      .expect(200);
    await eventually(() => statusOf(app), (s) => s.state === 'running' && /release v2/.test(s.message), 'v2 to serve', 120_000);
    // Each read sees a crash or the start between two: both are "crashing", never "starting" or "running".
    const seen: string[] = [];
    const status = await eventually(
      async () => {
        const s = await statusOf(app);
        seen.push(s.state);
        return s;
      },
      (s) => s.state === 'crashed' && /keeps crashing/.test(s.message),
      'the crash loop',
      180_000,
    );
    for (let i = 0; i < 6; i++) {
      const again = await statusOf(app);
      expect(again.state).toBe('crashed');
      const shown = await page(app);
      expect(shown.status).toBe(503);
      // The restart count moves between two reads; the rest is the same words.
      const count = (text: string) => text.replace(/restarted \d+ times/, 'restarted N times');
      const now = await statusOf(app);
      expect([count(shown.message), shown.hint]).toEqual([count(now.message), now.hint]);
    }
    expect(seen.filter((s) => s === 'starting')).toEqual([]);
    return status;
  }

  it('crashed: a crash loop reads as crashing, on the API and the 503 page', async () => {
    const status = await crashLoop('crashloop', 'exit');
    expect(status.message).toMatch(/^The web process keeps crashing: exited with code 1 \(restarted \d+ times\)\.$/);
  });

  it('OOM-killed while serving: out of memory at its limit, also when the parent exits 1', async () => {
    const status = await crashLoop('oomloop', 'oom');
    expect(status.message).toMatch(/^The web process keeps crashing: ran out of memory at 256 MB and was killed \(restarted \d+ times\)\.$/);
    expect(status.hint).toMatch(/memoryMb/);
  });
});
