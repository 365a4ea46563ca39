import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GitRepos } from '@berth/git';
import { builds, Pushes, runInImage } from '../support/builds';
import { gitUrl, WorkingCopy } from '../support/git';
import { RunningPlatform, startPlatform } from '../support/platform';
import { signUp, TestUser } from '../support/users';

jest.setTimeout(180_000);

/** Levels of the relative chain: deeper than any data directory, so its `..`s reach `/`. */
const DEPTH = 40;
const CHAIN = Array(DEPTH).fill('z').join('/');

/**
 * A pushed tree is hostile: its links must never make Berth write, append to or read a file
 * of the host, and its size is held to BUILD_MAX_SOURCE_MB / BUILD_MAX_SOURCE_FILES before the
 * push is accepted. The "host" here is a directory this test owns, outside the data directory.
 */
describe('source safety', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => platform);
  let host: string;
  const secrets = { sentinel: `sentinel-${randomBytes(6).toString('hex')}`, ignore: `ignored-${randomBytes(6).toString('hex')}`, dockerfile: `dockerfile-${randomBytes(6).toString('hex')}` };

  beforeAll(async () => {
    platform = await startPlatform(['api', 'builder'], { BUILD_MAX_SOURCE_MB: '8', BUILD_MAX_SOURCE_FILES: '300', GIT_PUSH_DEPLOY_WAIT_SECONDS: '0' });
    user = await signUp(platform);
    host = mkdtempSync(join(tmpdir(), 'berth-host-'));
    expect(host.startsWith(platform.config.dataDir)).toBe(false);
    writeFileSync(join(host, 'sentinel'), secrets.sentinel);
    writeFileSync(join(host, 'ignore-target'), `${secrets.ignore}\n`);
    writeFileSync(join(host, 'Dockerfile'), `FROM ${platform.config.builds.stackImage}\nRUN echo ${secrets.dockerfile}\n`);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await platform?.close();
    if (host) rmSync(host, { recursive: true, force: true });
  });

  /** Everything about the host directory a write, append or new file would change. */
  const hostState = () => ({
    dir: statSync(host).mtimeMs,
    files: readdirSync(host)
      .sort()
      .map((name) => ({ name, content: readFileSync(join(host, name), 'utf8'), mtime: statSync(join(host, name)).mtimeMs })),
  });

  /** A link in the working copy (directories above it made). */
  const link = (copy: WorkingCopy, path: string, target: string) => {
    mkdirSync(dirname(join(copy.dir, path)), { recursive: true });
    symlinkSync(target, join(copy.dir, path));
  };
  /**
   * `z/…/z/s` points back at the tree's root; through it, `..`s walk up out of the tree on disk
   * while, read as text, they stay inside (`z/…/z/s/../…` collapses to the root).
   */
  const viaChain = (copy: WorkingCopy, hostPath: string) => {
    link(copy, `${CHAIN}/s`, Array(DEPTH).fill('..').join('/'));
    return `${CHAIN}/s/${Array(DEPTH + 1).fill('..').join('/')}/${hostPath}`;
  };

  const pushAndCheck = async (stem: string, arrange: (copy: WorkingCopy) => void) => {
    const before = hostState();
    const app = await pushes.app(user, stem);
    const copy = await pushes.fixture('static', { nonce: true });
    arrange(copy);
    await copy.commitAll('hostile links');
    const push = await copy.push(gitUrl(platform, app, user.token), 'main');
    const [only] = await builds(platform, user, app);
    const log = (await platform.http().get(`/api/apps/${app}/builds/${only.id}`).set(user.auth).expect(200)).body.log as string;

    expect(hostState()).toEqual(before);
    for (const secret of Object.values(secrets)) {
      expect(log).not.toContain(secret);
      expect(push.stderr).not.toContain(secret);
    }
    // The links are inert data: the app builds as the static site it is.
    expect(push.code).toBe(0);
    expect(only).toMatchObject({ status: 'succeeded', buildpack: 'static' });
    expect(await runInImage(platform, only.image!.tag, '[ -L /app/.berth ] && echo link; [ -d /app/.berth ] && echo dir; [ -L /app/.dockerignore ] && echo ignore-link; true')).not.toMatch(/link/);
    return { log, push };
  };

  it('never writes, appends or reads through a chain of relative links pointing at a host directory', async () => {
    await pushAndCheck('chain', (copy) => {
      const out = viaChain(copy, host.slice(1));
      link(copy, '.berth', out);
      link(copy, '.dockerignore', `${out}/ignore-target`);
      link(copy, 'Containerfile', `${out}/Dockerfile`);
    });
  });

  it('nor through absolute links, links to links, or a Dockerfile that is a link', async () => {
    await pushAndCheck('absolute', (copy) => {
      link(copy, '.berth', host);
      link(copy, 'l2', join(host, 'ignore-target'));
      link(copy, 'l1', 'l2');
      link(copy, '.containerignore', 'l1');
      link(copy, 'Dockerfile', join(host, 'Dockerfile'));
    });
  });

  describe('source size', () => {
    const repoOf = async (app: string) => {
      const { body } = await platform.http().get(`/api/apps/${app}`).set(user.auth).expect(200);
      return platform.app.get(GitRepos).path(body.id);
    };
    const refuse = async (stem: string, arrange: (copy: WorkingCopy) => void) => {
      const app = await pushes.app(user, stem);
      const copy = await pushes.fixture('static');
      arrange(copy);
      await copy.commitAll('too much');
      const push = await copy.push(gitUrl(platform, app, user.token), 'main');
      expect(push.code).not.toBe(0);
      expect(push.stdout).toMatch(/refs\/heads\/main\t\[remote rejected\]/);
      expect(push.stderr).toMatch(/remote:  ! {5}Nothing was stored\./);
      expect(execFileSync('git', ['-C', await repoOf(app), 'for-each-ref']).toString()).toBe('');
      expect(await builds(platform, user, app)).toEqual([]);
      return push;
    };

    it('refuses a small push that unpacks larger than BUILD_MAX_SOURCE_MB, before the branch moves', async () => {
      const push = await refuse('zeros', (copy) => copy.write('public/zeros.bin', Buffer.alloc(12 * 1024 * 1024)));
      expect(push.stderr).toMatch(/remote:  ! {5}Push rejected: commit [0-9a-f]{7} \(main\) is larger than 8 MiB unpacked, this server's limit \(BUILD_MAX_SOURCE_MB\)\. Keep large files out of the repository/);
    });

    it('refuses a push with more files than BUILD_MAX_SOURCE_FILES', async () => {
      const push = await refuse('files', (copy) => {
        mkdirSync(join(copy.dir, 'many'));
        for (let i = 0; i < 301; i++) copy.write(`many/${i}.txt`, `${i}`);
      });
      expect(push.stderr).toMatch(/Push rejected: commit [0-9a-f]{7} \(main\) holds more than 300 files, this server's limit \(BUILD_MAX_SOURCE_FILES\)/);
    });
  });
});
