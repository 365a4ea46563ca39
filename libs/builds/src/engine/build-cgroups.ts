import { Injectable } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';
const PREFIX = 'berth-build-';

/**
 * The cgroup each build's steps run in (the engine's `cgroupparent`), so a build past its time
 * limit can be stopped: the engine keeps building after its client goes away, but a step whose
 * processes are killed fails and the build ends. Works with the cgroupfs manager on cgroup v1
 * and v2 hosts.
 */
@Injectable()
export class BuildCgroups {
  parentOf(buildId: string): string {
    return `/${PREFIX}${buildId}`;
  }

  /** Directories to look for a build's processes in: the pids controller (v1) or the unified tree (v2). */
  private dirs(buildId: string): string[] {
    const name = `${PREFIX}${buildId}`;
    const v1 = join(CGROUP_ROOT, 'pids', name);
    const v2 = join(CGROUP_ROOT, name);
    return existsSync(join(CGROUP_ROOT, 'pids')) ? [v1] : [v2];
  }

  /** Kills every process of a build (SIGKILL), a few rounds in case they fork; returns how many. */
  async kill(buildId: string): Promise<number> {
    let killed = 0;
    for (let round = 0; round < 5; round++) {
      const pids = (await Promise.all(this.dirs(buildId).map((dir) => procs(dir)))).flat();
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
          killed++;
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return killed;
  }

  /** Build ids that have a cgroup on this host (running or left over). */
  async present(): Promise<string[]> {
    const root = existsSync(join(CGROUP_ROOT, 'pids')) ? join(CGROUP_ROOT, 'pids') : CGROUP_ROOT;
    const names = await readdir(root).catch(() => [] as string[]);
    return names.filter((name) => name.startsWith(PREFIX)).map((name) => name.slice(PREFIX.length));
  }
}

/** Every pid in a cgroup and the cgroups below it. */
async function procs(dir: string): Promise<number[]> {
  const own = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  const pids = own.split('\n').filter(Boolean).map(Number);
  const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const child of children) if (child.isDirectory()) pids.push(...(await procs(join(dir, child.name))));
  return pids;
}
