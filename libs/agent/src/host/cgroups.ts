import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CgroupUsage {
  memoryBytes: number;
  /** CPU time used since the container started, in nanoseconds. */
  cpuNanos: number;
  /** OOM kills in the container's memory cgroup so far (v1 memory.oom_control, v2 memory.events). */
  oomKills: number;
}

/**
 * Resource use of a container, read from its cgroup through its init process. cgroup v1
 * (memory.usage_in_bytes minus page cache, cpuacct.usage) is what this host has; v2
 * (memory.current, cpu.stat) is read where the unified hierarchy holds the memory controller.
 */
@Injectable()
export class Cgroups {
  protected readonly root: string = '/sys/fs/cgroup';

  async usage(pid: number): Promise<CgroupUsage | null> {
    let lines: string[];
    try {
      lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).trim().split('\n');
    } catch {
      return null; // the process is gone
    }
    const paths = new Map<string, string>();
    for (const line of lines) {
      const [, controllers, path] = line.split(':');
      for (const controller of controllers.split(',')) paths.set(controller, path);
    }
    try {
      if (paths.has('memory')) {
        const memoryDir = join(this.root, 'memory', paths.get('memory')!);
        const usage = Number(await readFile(join(memoryDir, 'memory.usage_in_bytes'), 'utf8'));
        const cache = statValue(await readFile(join(memoryDir, 'memory.stat'), 'utf8'), 'total_inactive_file');
        const cpuPath = paths.get('cpuacct') ?? paths.get('cpu');
        const cpuNanos = cpuPath === undefined ? 0 : Number(await readFile(join(this.root, 'cpuacct', cpuPath, 'cpuacct.usage'), 'utf8'));
        const oomKills = statValue(await readFile(join(memoryDir, 'memory.oom_control'), 'utf8').catch(() => ''), 'oom_kill');
        return { memoryBytes: Math.max(0, usage - cache), cpuNanos, oomKills };
      }
      const unified = join(this.root, paths.get('') ?? '/');
      const current = Number(await readFile(join(unified, 'memory.current'), 'utf8'));
      const cache = statValue(await readFile(join(unified, 'memory.stat'), 'utf8'), 'inactive_file');
      const usec = statValue(await readFile(join(unified, 'cpu.stat'), 'utf8'), 'usage_usec');
      const oomKills = statValue(await readFile(join(unified, 'memory.events'), 'utf8').catch(() => ''), 'oom_kill');
      return { memoryBytes: Math.max(0, current - cache), cpuNanos: usec * 1000, oomKills };
    } catch {
      return null;
    }
  }
}

function statValue(text: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}
