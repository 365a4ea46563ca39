import { Injectable } from '@nestjs/common';
import { ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BerthConfig } from '@berth/config';

const run = promisify(execFile);

export type GitService = 'receive-pack' | 'upload-pack';

/** Where git finds a pushed commit's objects while the push is in quarantine (set for hooks by git). */
export interface QuarantineEnv {
  GIT_OBJECT_DIRECTORY?: string;
  GIT_ALTERNATE_OBJECT_DIRECTORIES?: string;
  GIT_QUARANTINE_PATH?: string;
}

/**
 * The bare repositories under BERTH_DATA_DIR/repos, one per app (named by the app's id, so a
 * rename never orphans one), and the system git that serves them. Berth never handles packs
 * itself: receive-pack and upload-pack do, and a push's objects stay in git's quarantine until
 * its pre-receive hook accepts it, so a rejected or broken push leaves nothing behind.
 */
@Injectable()
export class GitRepos {
  readonly root: string;
  private readonly home: string;
  private readonly creating = new Map<string, Promise<string>>();

  constructor(private readonly config: BerthConfig) {
    this.root = join(config.dataDir, 'repos');
    this.home = join(config.dataDir, 'git-home');
  }

  path(appId: string): string {
    return join(this.root, `${appId}.git`);
  }

  /**
   * The environment git runs with: nothing of Berth's own (no database URL or secret key), an
   * empty HOME so the host user's git settings do not apply, and English messages.
   */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home, LANG: 'C', LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', ...extra };
  }

  /** The app's bare repository, created on first use with HEAD on the production branch. */
  async ensure(appId: string, productionBranch: string): Promise<string> {
    const path = this.path(appId);
    if (existsSync(join(path, 'HEAD'))) return path;
    const pending = this.creating.get(path) ?? this.create(path, productionBranch).finally(() => this.creating.delete(path));
    this.creating.set(path, pending);
    return pending;
  }

  private async create(path: string, productionBranch: string): Promise<string> {
    await mkdir(this.root, { recursive: true });
    await mkdir(this.home, { recursive: true });
    // Made aside and renamed into place, so a half-made repository is never served.
    const partial = `${path}.creating-${process.pid}-${Date.now()}`;
    try {
      await run('git', ['init', '--bare', '--quiet', partial], { env: this.env() });
      await run('git', ['symbolic-ref', 'HEAD', `refs/heads/${productionBranch}`], { cwd: partial, env: this.env() });
      await rename(partial, path).catch((error: NodeJS.ErrnoException) => {
        // Another process made it first: theirs is as good as ours.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
    return path;
  }

  async remove(appId: string): Promise<void> {
    await rm(this.path(appId), { recursive: true, force: true });
  }

  /**
   * Runs `git <service> --stateless-rpc` for smart HTTP. Pushes run the pre-receive hook from
   * `hooksPath` and are capped at the push size limit by git itself as well.
   */
  service(service: GitService, path: string, options: { advertise?: boolean; hooksPath?: string; env?: Record<string, string> } = {}): ChildProcessWithoutNullStreams {
    const config =
      service === 'receive-pack'
        ? [
            '-c', `core.hooksPath=${options.hooksPath ?? join(path, 'hooks')}`,
            '-c', `receive.maxInputSize=${this.config.git.maxPushBytes}`,
            '-c', 'receive.denyNonFastForwards=false',
            '-c', 'receive.denyDeletes=false',
          ]
        : [];
    const args = [...config, service, '--stateless-rpc', ...(options.advertise ? ['--advertise-refs'] : []), path];
    return spawn('git', args, { env: this.env(options.env) });
  }

  /**
   * What `commit`'s tree holds unpacked, from git's object headers without reading any content
   * (`git ls-tree -r -l`): the files and symbolic links, and the sum of their sizes. Counting
   * stops once there are more than `stopAfterFiles`. Submodules are not part of a build's source.
   */
  async treeSize(path: string, commit: string, quarantine: QuarantineEnv, stopAfterFiles: number): Promise<{ files: number; bytes: number }> {
    const child = spawn('git', ['ls-tree', '-r', '-l', '-z', '--full-tree', commit], { cwd: path, env: this.env(quarantineEnv(quarantine)) });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    let files = 0;
    let bytes = 0;
    let rest = '';
    let stopped = false;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const records = (rest + chunk.toString('utf8')).split('\0');
      rest = records.pop() ?? '';
      for (const record of records) {
        // "<mode> <type> <object> <size, space-padded>\t<path>"
        const match = /^\d+ blob [0-9a-f]+ +(\d+)\t/.exec(record);
        if (!match) continue;
        files++;
        bytes += Number(match[1]);
      }
      if (files > stopAfterFiles) {
        stopped = true;
        child.kill();
        break;
      }
    }
    const code = await closed;
    if (!stopped && code !== 0) throw new Error(`git ls-tree ${commit} failed: ${stderr.trim() || `exit ${code}`}`);
    return { files, bytes };
  }

  /**
   * A tar of the tree of `commit`, read from the push's quarantine (the objects are not in the
   * repository until the push is accepted). `done` settles when git has finished.
   */
  archive(path: string, commit: string, quarantine: QuarantineEnv): { stream: Readable; done: Promise<void> } {
    const child = spawn('git', ['archive', '--format=tar', commit], { cwd: path, env: this.env(quarantineEnv(quarantine)) });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git archive ${commit} failed: ${stderr.trim() || `exit ${code}`}`))));
    });
    // Consumed at once: Node discards the output of a child that exits before anyone reads it.
    const stream = child.stdout.pipe(new PassThrough());
    return { stream, done };
  }
}

/** The quarantine variables git set for the hook, for git commands that read the pushed objects. */
function quarantineEnv(quarantine: QuarantineEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(quarantine)) if (typeof value === 'string' && value) env[key] = value;
  return env;
}
