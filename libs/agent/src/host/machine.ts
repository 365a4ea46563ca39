import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { cpus, hostname } from 'node:os';

/** The machine the agent runs on: its name, memory and cores, and the kernel's OOM-kill count. */
@Injectable()
export class Machine {
  hostname(): string {
    return hostname();
  }

  cpuCount(): number {
    return cpus().length;
  }

  /** /proc/meminfo, in kB: MemTotal, MemAvailable, … */
  async meminfo(): Promise<Record<string, number>> {
    const text = await readFile('/proc/meminfo', 'utf8');
    return Object.fromEntries(
      text
        .split('\n')
        .map((line) => /^(\w+):\s+(\d+)/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], Number(m[2])]),
    );
  }

  /**
   * How many neighbour (ARP) entries the kernel keeps before it refuses new ones that are in use
   * (net.ipv4.neigh.default.gc_thresh2): about how many containers the host can reach at once.
   */
  async neighbourTableSoftLimit(): Promise<number | null> {
    try {
      return Number((await readFile('/proc/sys/net/ipv4/neigh/default/gc_thresh2', 'utf8')).trim()) || null;
    } catch {
      return null;
    }
  }

  /**
   * OOM kills since boot (/proc/vmstat oom_kill), every cgroup included: the fallback that
   * tells an out-of-memory kill from another SIGKILL where the kernel log cannot be read.
   */
  async oomKills(): Promise<number> {
    try {
      const match = /^oom_kill (\d+)$/m.exec(await readFile('/proc/vmstat', 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }
}
