import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BerthConfig } from '@berth/config';
import { GitRepos } from './git-repos';

describe('GitRepos.treeSize', () => {
  let dir: string;
  let repos: GitRepos;
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: join(dir, 'work'),
      env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' },
    })
      .toString()
      .trim();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-tree-size-'));
    repos = new GitRepos({ dataDir: join(dir, 'data'), git: { maxPushBytes: 1 } } as unknown as BerthConfig);
    mkdirSync(join(dir, 'work', 'odd\tname\ndir'), { recursive: true });
    writeFileSync(join(dir, 'work', 'a.txt'), 'x'.repeat(1000));
    writeFileSync(join(dir, 'work', 'odd\tname\ndir', 'b.bin'), Buffer.alloc(123_456));
    symlinkSync('a.txt', join(dir, 'work', 'link'));
    git('init', '--quiet');
    git('add', '-A');
    // A submodule entry: part of the tree, not of the source a build unpacks.
    git('update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},vendor/lib`);
    git('commit', '--quiet', '-m', 'files');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sums the sizes of a commit's files and links from git's headers", async () => {
    const head = git('rev-parse', 'HEAD');
    expect(await repos.treeSize(join(dir, 'work'), head, {}, 100)).toEqual({ files: 3, bytes: 1000 + 123_456 + 'a.txt'.length });
  });

  it('stops counting past the file limit', async () => {
    const head = git('rev-parse', 'HEAD');
    expect((await repos.treeSize(join(dir, 'work'), head, {}, 1)).files).toBeGreaterThan(1);
  });

  it('fails on a commit git does not have', async () => {
    await expect(repos.treeSize(join(dir, 'work'), '2'.repeat(40), {}, 100)).rejects.toThrow(/git ls-tree/);
  });
});
