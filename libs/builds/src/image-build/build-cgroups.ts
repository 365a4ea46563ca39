import { Injectable, Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerEngine } from '@berth/engine';

const CGROUP_ROOT = '/sys/fs/cgroup';
const PREFIX = 'berth-build-';

/**
 * The cgroup each build's steps run in (the engine's `cgroupparent`), so a build past its time
 * limit can be stopped: the engine keeps building after its client goes away, but a step whose
 * processes are killed fails and the build ends. Works when the engine manages cgroups itself
 * (cgroupfs, as here) on cgroup v1 and v2 hosts; with systemd managing them, builds get no
 * cgroup of their own and a build over its limit is abandoned instead (its image, should the
 * engine finish it, is removed).
 */
@Injectable()
export class BuildCgroups {
  private readonly logger = new Logger('BuildCgroups');
  private usable: Promise<boolean> | null = null;

  constructor(private readonly engine: ContainerEngine) {}

  /** The cgroup parent to build in, or undefined when the engine's cgroup manager cannot take one. */
  async parentOf(buildId: string): Promise<string | undefined> {
    this.usable ??= this.engine.api.info().then(
      (info: { CgroupDriver?: string }) => {
        const ok = info.CgroupDriver === 'cgroupfs';
        if (!ok) this.logger.warn(`the engine manages cgroups with ${info.CgroupDriver}: builds over their time limit are abandoned rather than stopped`);
        return ok;
      },
      () => false,
    );
    return (await this.usable) ? `/${PREFIX}${buildId}` : undefined;
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

  /** The processes of a build's steps now (none when it has no cgroup or no step runs). */
  async pids(buildId: string): Promise<number[]> {
    return (await Promise.all(this.dirs(buildId).map((dir) => procs(dir)))).flat();
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
