import { Injectable } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BuildCgroups } from './build-cgroups';

const execFileAsync = promisify(execFile);
const CHECK_EVERY_MS = 1000;

/** The writable layer (overlay upperdir) of a process's root filesystem, from its mountinfo. */
export function rootUpperDir(mountinfo: string): string | null {
  for (const line of mountinfo.split('\n')) {
    const [mount, superOptions] = line.split(' - ');
    if (!superOptions || mount.split(' ')[4] !== '/') continue;
    const upper = /(?:^|,)upperdir=([^,]+)/.exec(superOptions.split(' ')[2] ?? '');
    if (upper) return upper[1];
  }
  return null;
}

/**
 * What a build's steps write, bounded (BUILD_MAX_WRITE_MB): the engine's storage has no size
 * option on this kind of host (overlay on ext4), so the layer a running step writes is measured
 * each second (its processes are found through the build's cgroup, its layer through their
 * root mount) and a step past the limit is reported, for the builder to stop it.
 */
@Injectable()
export class BuildDiskGuard {
  constructor(private readonly cgroups: BuildCgroups) {}

  /** Bytes the build's running steps have written so far. */
  async written(buildId: string): Promise<number> {
    const dirs = new Set<string>();
    for (const pid of await this.cgroups.pids(buildId)) {
      const info = await readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
      const upper = rootUpperDir(info);
      if (upper) dirs.add(upper);
    }
    let total = 0;
    for (const dir of dirs) {
      const { stdout } = await execFileAsync('du', ['-s', '-B1', '-x', dir]).catch(() => ({ stdout: '0' }));
      total += Number(stdout.split(/\s/)[0]) || 0;
    }
    return total;
  }

  /** Calls `exceeded` once when a step has written more than `limitBytes`; returns the stop function. */
  watch(buildId: string, limitBytes: number, exceeded: (bytes: number) => void): () => void {
    let stopped = false;
    const loop = async () => {
      while (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
        if (stopped) return;
        const bytes = await this.written(buildId).catch(() => 0);
        if (bytes > limitBytes) {
          stopped = true;
          exceeded(bytes);
        }
      }
    };
    void loop();
    return () => {
      stopped = true;
    };
  }
}
