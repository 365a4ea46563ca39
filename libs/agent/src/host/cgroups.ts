import { Injectable } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface CgroupUsage {
  memoryBytes: number;
  /** CPU time used since the container started, in nanoseconds. */
  cpuNanos: number;
  /** OOM kills in the container's memory cgroup so far (v1 memory.oom_control, v2 memory.events). */
  oomKills: number;
}

/**
 * A kernel pseudo-file (`/proc`, `/sys/fs/cgroup`), read synchronously: a read takes
 * microseconds, while through Node's four-thread file pool, shared with the log shipper's
 * reads, a sample of 300 containers (five files each) waited 16.7 s on a busy host and held up
 * the agent's round.
 */
const read = (path: string) => readFileSync(path, 'utf8');
const readOrEmpty = (path: string) => {
  try {
    return read(path);
  } catch {
    return '';
  }
};

/**
 * A container's freezer: the cgroup v1 freezer controller's directory (`freezer.state`:
 * THAWED, FREEZING, FROZEN), or its cgroup v2 directory (`cgroup.freeze`, `cgroup.events`).
 */
export interface Freezer {
  dir: string;
  version: 1 | 2;
}

/** How long a freeze may take before it is undone and refused (a task stuck in the kernel). */
const FREEZE_TIMEOUT_MS = 2_000;
/** A container's id in its cgroup's name (`libpod-<id>`, `docker/<id>`, `libpod-<id>.scope`). */
const CONTAINER_ID = /[0-9a-f]{64}/;

/**
 * Resource use of a container, read from its cgroup through its init process. cgroup v1
 * (memory.usage_in_bytes minus page cache, cpuacct.usage) is what this host has; v2
 * (memory.current, cpu.stat) is read where the unified hierarchy holds the memory controller.
 */
@Injectable()
export class Cgroups {
  protected readonly root: string = '/sys/fs/cgroup';
  protected readonly proc: string = '/proc';

  /** The cgroup path of each controller of a process (`''`: the v2 hierarchy), or null when it is gone. */
  private pathsOf(pid: number): Map<string, string> | null {
    let lines: string[];
    try {
      lines = read(join(this.proc, String(pid), 'cgroup')).trim().split('\n');
    } catch {
      return null; // the process is gone
    }
    const paths = new Map<string, string>();
    for (const line of lines) {
      const [, controllers, path] = line.split(':');
      for (const controller of controllers.split(',')) paths.set(controller, path);
    }
    return paths;
  }

  async usage(pid: number): Promise<CgroupUsage | null> {
    const paths = this.pathsOf(pid);
    if (!paths) return null;
    try {
      if (paths.has('memory')) {
        const memoryDir = join(this.root, 'memory', paths.get('memory')!);
        const usage = Number(read(join(memoryDir, 'memory.usage_in_bytes')));
        const cache = statValue(read(join(memoryDir, 'memory.stat')), 'total_inactive_file');
        const cpuPath = paths.get('cpuacct') ?? paths.get('cpu');
        const cpuNanos = cpuPath === undefined ? 0 : Number(read(join(this.root, 'cpuacct', cpuPath, 'cpuacct.usage')));
        const oomKills = statValue(readOrEmpty(join(memoryDir, 'memory.oom_control')), 'oom_kill');
        return { memoryBytes: Math.max(0, usage - cache), cpuNanos, oomKills };
      }
      const unified = join(this.root, paths.get('') ?? '/');
      const current = Number(read(join(unified, 'memory.current')));
      const cache = statValue(read(join(unified, 'memory.stat')), 'inactive_file');
      const usec = statValue(read(join(unified, 'cpu.stat')), 'usage_usec');
      const oomKills = statValue(readOrEmpty(join(unified, 'memory.events')), 'oom_kill');
      return { memoryBytes: Math.max(0, current - cache), cpuNanos: usec * 1000, oomKills };
    } catch {
      return null;
    }
  }

  /**
   * The freezer of container `containerId`, whose init process is `pid`; null when this process
   * cannot freeze it itself: the pid is not in a cgroup named after that container (the engine
   * runs on another machine, or the container has just exited), or the freezer's file is not
   * there to write.
   */
  freezerOf(pid: number, containerId: string): Freezer | null {
    const paths = this.pathsOf(pid);
    if (!paths) return null;
    const v1 = paths.get('freezer');
    const path = v1 ?? paths.get('');
    if (path === undefined || !path.includes(containerId)) return null;
    const freezer: Freezer = v1 === undefined ? { dir: join(this.root, path), version: 2 } : { dir: join(this.root, 'freezer', path), version: 1 };
    return existsSync(this.controlFile(freezer)) ? freezer : null;
  }

  /**
   * Freezes every process of the cgroup (what the engine's pause does, through `runc pause`,
   * without the engine's call and runc's start): resolves once the kernel says FROZEN; thaws
   * it again and throws when that takes longer than FREEZE_TIMEOUT_MS.
   */
  async freeze(freezer: Freezer): Promise<void> {
    const deadline = performance.now() + FREEZE_TIMEOUT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      // v1: writing FROZEN again moves a cgroup stuck in FREEZING on.
      writeFileSync(this.controlFile(freezer), freezer.version === 1 ? 'FROZEN' : '1');
      if (this.state(freezer) === 'frozen') return;
      if (performance.now() > deadline) {
        this.thaw(freezer);
        throw new Error(`the kernel did not freeze ${freezer.dir} within ${FREEZE_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Thaws the cgroup's processes (at once); false when the cgroup is gone. */
  thaw(freezer: Freezer): boolean {
    try {
      writeFileSync(this.controlFile(freezer), freezer.version === 1 ? 'THAWED' : '0');
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the cgroup is frozen or freezing (false: thawed, or gone). */
  isFrozen(freezer: Freezer): boolean {
    return this.state(freezer) !== 'thawed';
  }

  /**
   * The containers whose cgroups are frozen on this machine, by id, read from the freezer's
   * hierarchy: what an agent froze before it restarted (the engine says they run).
   */
  frozenContainers(): Map<string, Freezer> {
    const found = new Map<string, Freezer>();
    const v1 = join(this.root, 'freezer');
    const top: Freezer = existsSync(join(v1, 'freezer.state')) || existsSync(join(v1, 'tasks')) ? { dir: v1, version: 1 } : { dir: this.root, version: 2 };
    const walk = (dir: string, depth: number) => {
      let entries: string[];
      try {
        entries = readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [e.name] : []));
      } catch {
        return;
      }
      for (const name of entries) {
        const freezer: Freezer = { dir: join(dir, name), version: top.version };
        const id = CONTAINER_ID.exec(basename(name))?.[0];
        if (id && this.state(freezer) === 'frozen') found.set(id, freezer);
        else if (!id && depth < 4) walk(freezer.dir, depth + 1);
      }
    };
    walk(top.dir, 1);
    return found;
  }

  private controlFile(freezer: Freezer): string {
    return join(freezer.dir, freezer.version === 1 ? 'freezer.state' : 'cgroup.freeze');
  }

  private state(freezer: Freezer): 'frozen' | 'freezing' | 'thawed' {
    if (freezer.version === 1) {
      const state = readOrEmpty(join(freezer.dir, 'freezer.state')).trim();
      return state === 'FROZEN' ? 'frozen' : state === 'FREEZING' ? 'freezing' : 'thawed';
    }
    // v2: cgroup.freeze says what was asked, cgroup.events' "frozen" whether it is done.
    if (readOrEmpty(join(freezer.dir, 'cgroup.freeze')).trim() !== '1') return 'thawed';
    return statValue(readOrEmpty(join(freezer.dir, 'cgroup.events')), 'frozen') === 1 ? 'frozen' : 'freezing';
  }
}

function statValue(text: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}
