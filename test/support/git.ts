import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningPlatform } from './platform';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'apps');

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A working copy for pushing with the real git client: isolated from the host's git
 * configuration (its own HOME), never prompting, committing as a test user.
 */
export class WorkingCopy {
  readonly dir: string;
  private readonly home: string;

  constructor(readonly name: string) {
    this.home = mkdtempSync(join(tmpdir(), 'berth-git-home-'));
    this.dir = join(this.home, 'work');
  }

  /** A new repository holding a copy of a fixture app, committed on `branch`. */
  static async fromFixture(fixture: string, branch = 'main'): Promise<WorkingCopy> {
    const copy = new WorkingCopy(fixture);
    cpSync(join(FIXTURES, fixture), copy.dir, { recursive: true });
    await copy.git('init', '--quiet', '--initial-branch', branch);
    await copy.commitAll(`${fixture} fixture`);
    return copy;
  }

  /** A clone of a repository on Berth; the result of `git clone` (the copy is usable when code is 0). */
  static async clone(url: string): Promise<{ copy: WorkingCopy; result: GitResult }> {
    const copy = new WorkingCopy('clone');
    const result = await copy.run(copy.home, ['clone', '--quiet', url, copy.dir]);
    return { copy, result };
  }

  env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      LANG: 'C',
      LC_ALL: 'C',
      GIT_AUTHOR_NAME: 'Berth Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Berth Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    };
  }

  /** Runs git in the working copy; resolves with its exit code and output (it never rejects). */
  git(...args: string[]): Promise<GitResult> {
    return this.run(this.dir, args);
  }

  private run(cwd: string, args: string[]): Promise<GitResult> {
    return new Promise((resolve) => {
      execFile('git', args, { cwd, env: this.env(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async commitAll(message: string): Promise<string> {
    await this.git('add', '-A');
    const result = await this.git('commit', '--quiet', '--allow-empty', '-m', message);
    if (result.code !== 0) throw new Error(`git commit failed: ${result.stderr}`);
    return this.head();
  }

  async head(): Promise<string> {
    return (await this.git('rev-parse', 'HEAD')).stdout.trim();
  }

  write(path: string, content: string | Buffer): void {
    writeFileSync(join(this.dir, path), content);
  }

  /** `git push <url> <refspec...>` (add --force etc. in refspecs). */
  push(url: string, ...refspecs: string[]): Promise<GitResult> {
    return this.git('push', '--porcelain', url, ...refspecs);
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The git URL of an app with a token as the password (what users put in their remote). */
export function gitUrl(platform: RunningPlatform, app: string, token?: string): string {
  const url = new URL(`${platform.url}/git/${app}.git`);
  if (token) {
    url.username = 'git';
    url.password = token;
  }
  return url.toString();
}
