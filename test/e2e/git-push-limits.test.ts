import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { GitRepos } from '@berth/git';
import { builds, Pushes } from '../support/builds';
import { gitUrl } from '../support/git';
import { RunningPlatform, startPlatform } from '../support/platform';
import { signUp, TestUser } from '../support/users';

jest.setTimeout(120_000);

const pkt = (payload: string) => Buffer.concat([Buffer.from((Buffer.byteLength(payload) + 4).toString(16).padStart(4, '0')), Buffer.from(payload)]);

/** Pushes that are too large or cut short: refused with a message, and the repository is as before. */
describe('git push limits and broken pushes', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => platform);

  beforeAll(async () => {
    platform = await startPlatform(['api', 'builder'], { GIT_MAX_PUSH_MB: '1', GIT_PUSH_DEPLOY_WAIT_SECONDS: '0' });
    user = await signUp(platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await platform?.close();
  });

  const repoOf = async (app: string) => {
    const { body } = await platform.http().get(`/api/apps/${app}`).set(user.auth).expect(200);
    return platform.app.get(GitRepos).path(body.id);
  };
  /** What a broken push could have left: refs, objects, quarantine directories. */
  const leftovers = (repo: string) => ({
    refs: execFileSync('git', ['-C', repo, 'for-each-ref']).toString(),
    objects: execFileSync('git', ['-C', repo, 'count-objects', '-v']).toString().match(/^(count|in-pack): \d+$/gm),
    quarantines: readdirSync(join(repo, 'objects')).filter((name) => name.startsWith('tmp_objdir')),
  });
  const untouched = { refs: '', objects: ['count: 0', 'in-pack: 0'], quarantines: [] };

  it('refuses a push over GIT_MAX_PUSH_MB with a message, storing nothing', async () => {
    const app = await pushes.app(user, 'big');
    const copy = await pushes.fixture('static');
    copy.write('public/video.bin', randomBytes(3 * 1024 * 1024));
    await copy.commitAll('a large file');

    const push = await copy.push(gitUrl(platform, app, user.token), 'main');
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/remote: Push rejected: it is larger than this server's limit of 1 MiB \(GIT_MAX_PUSH_MB\)/);
    expect(push.stderr).toMatch(/remote: Nothing was stored\./);
    expect(push.stdout).toMatch(/refs\/heads\/main\t\[remote rejected\] \(push larger than 1 MiB\)/);
    expect(leftovers(await repoOf(app))).toEqual(untouched);
    expect(await builds(platform, user, app)).toEqual([]);
  });

  it('keeps the repository intact when the pusher disconnects mid-push, and accepts the next push', async () => {
    const app = await pushes.app(user, 'cut');
    const copy = await pushes.fixture('static');
    copy.write('public/photo.bin', randomBytes(700 * 1024));
    const sha = await copy.commitAll('a photo');
    const url = gitUrl(platform, app, user.token);
    // Advertise once, as git would, so the repository exists.
    expect((await copy.git('ls-remote', url)).code).toBe(0);

    const pack = execFileSync('git', ['pack-objects', '--stdout', '--revs', '-q'], { cwd: copy.dir, input: 'HEAD\n' });
    const body = Buffer.concat([pkt(`${'0'.repeat(40)} ${sha} refs/heads/main\0report-status side-band-64k\n`), Buffer.from('0000'), pack]);
    const target = new URL(`${platform.url}/git/${app}.git/git-receive-pack`);
    await new Promise<void>((resolve) => {
      const req = httpRequest(target, {
        method: 'POST',
        headers: { 'content-type': 'application/x-git-receive-pack-request', authorization: `Basic ${Buffer.from(`git:${user.token}`).toString('base64')}` },
      });
      req.on('error', () => resolve());
      req.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 500);
    });

    const repo = await repoOf(app);
    for (let i = 0; i < 50 && leftovers(repo).quarantines.length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(leftovers(repo)).toEqual(untouched);
    expect(execFileSync('git', ['-C', repo, 'fsck', '--no-progress'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toBe('');
    expect(await builds(platform, user, app)).toEqual([]);

    const push = await copy.push(url, 'main');
    expect(push.code).toBe(0);
    expect((await copy.git('ls-remote', url, 'refs/heads/main')).stdout).toContain(sha);
    expect(existsSync(join(repo, 'objects'))).toBe(true);
  });
});
