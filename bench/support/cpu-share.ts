import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where a machine's CPU time went over a stretch of a bench, by kind of process: read from
 * /proc at the start and the end (each process's user + system ticks, and the machine's busy
 * ticks). Processes that began and ended inside the stretch (a podman CLI call, a probe's
 * shell) are only in `unattributed`, the machine's busy time no live process accounts for.
 */
export type CpuGroup = 'berth' | 'berthThreads' | 'apps' | 'conmon' | 'engine' | 'haproxy' | 'postgres' | 'redis' | 'kernel' | 'other';

export interface CpuShare {
  seconds: number;
  /** Cores busy on average over the stretch (out of the machine's). */
  busyCores: number;
  cores: number;
  /** Cores each kind kept busy on average. */
  byGroup: Record<CpuGroup | 'unattributed', number>;
  /**
   * Of `unattributed`, what each kind's ended children used (Linux adds a child's time to its
   * parent when the parent reaps it): the engine's are its CNI plugins, iptables and runc calls.
   * A child's whole life counts, so one that ran long before the stretch and ended in it (an
   * HAProxy worker replaced by a reload) inflates its parent's kind. The init process (pid 1)
   * is left out: it reaps every orphan on the machine.
   */
  byGroupChildren: Record<CpuGroup, number>;
}

interface Sample {
  at: number;
  busyTicks: number;
  cores: number;
  ticks: Map<number, { group: CpuGroup; ticks: number; children: number }>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const GROUPS: readonly CpuGroup[] = ['berth', 'berthThreads', 'apps', 'conmon', 'engine', 'haproxy', 'postgres', 'redis', 'kernel', 'other'];
const zeroes = () => Object.fromEntries(GROUPS.map((group) => [group, 0])) as Record<CpuGroup, number>;

/** The engine's own processes and those it runs for a start or stop (runtime, CNI plugins, iptables). */
const ENGINE = /^(podman|runc|catatonit|exe$|iptables|ip6tables|bridge$|portmap$|firewall$|tuning$|host-local$|mount$|umount$)/;

/** Groups of processes seen before (pid and name), so a sample reads each one's cgroup once. */
const known = new Map<string, CpuGroup>();

function groupOf(pid: number, comm: string, ppid: number): CpuGroup {
  const key = `${pid} ${comm}`;
  let group = known.get(key);
  if (group === undefined) {
    group = classify(pid, comm, ppid);
    if (known.size > 100_000) known.clear();
    known.set(key, group);
  }
  return group;
}

/** Any process but this one (sample() splits this one into its loop and its other threads). */
function classify(pid: number, comm: string, ppid: number): CpuGroup {
  if (pid === 2 || ppid === 2) return 'kernel';
  if (comm === 'conmon') return 'conmon';
  if (comm === 'haproxy') return 'haproxy';
  if (ENGINE.test(comm)) return 'engine';
  if (comm === 'postgres') return 'postgres';
  if (comm.startsWith('redis')) return 'redis';
  try {
    if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes('libpod-')) return 'apps';
  } catch {
    // gone meanwhile
  }
  return 'other';
}

function threadTicks(path: string): number {
  const text = readFileSync(path, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function sample(): Sample {
  const stat = readFileSync('/proc/stat', 'utf8');
  const cpu = stat.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busyTicks = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
  const cores = stat.split('\n').filter((line) => /^cpu\d/.test(line)).length;
  const ticks = new Map<number, { group: CpuGroup; ticks: number; children: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = text.lastIndexOf(')');
      const comm = text.slice(text.indexOf('(') + 1, close);
      const fields = text.slice(close + 2).split(' ');
      // fields[0] is state: ppid is 1, utime 11, stime 12, cutime 13, cstime 14
      const all = Number(fields[11]) + Number(fields[12]);
      const children = Number(fields[13]) + Number(fields[14]);
      if (pid === process.pid) {
        // Berth's event loop (the main thread) apart from its other threads (the bench's
        // clients, libuv's pool, the garbage collector): negative pids key the split.
        const main = threadTicks(`/proc/${pid}/task/${pid}/stat`);
        ticks.set(pid, { group: 'berth', ticks: main, children });
        ticks.set(-pid, { group: 'berthThreads', ticks: all - main, children: 0 });
      } else ticks.set(pid, { group: groupOf(pid, comm, Number(fields[1])), ticks: all, children });
    } catch {
      // gone meanwhile
    }
  }
  return { at: performance.now(), busyTicks, cores, ticks };
}

/** A line for a log: cores busy in all, then the groups above a twentieth of a core. */
export function cpuLine(share: CpuShare): string {
  const groups = Object.entries(share.byGroup).filter(([, cores]) => cores >= 0.05).sort((x, y) => y[1] - x[1]);
  const children = Object.entries(share.byGroupChildren).filter(([, cores]) => cores >= 0.05).sort((x, y) => y[1] - x[1]);
  const list = (entries: [string, number][]) => entries.map(([group, cores]) => `${group} ${cores.toFixed(2)}`).join(', ');
  return `${share.busyCores.toFixed(2)} of ${share.cores} cores busy (${list(groups)}; of the gone, children of: ${list(children) || 'none'})`;
}

/** Starts a stretch; `end()` says where its CPU time went. */
export function cpuShare(): { end: () => CpuShare } {
  const start = sample();
  return {
    end: () => {
      const end = sample();
      const seconds = (end.at - start.at) / 1000;
      const cores = (ticks: number) => (seconds > 0 ? ticks / TICKS_PER_SECOND / seconds : 0);
      const byGroup: Record<CpuGroup | 'unattributed', number> = { ...zeroes(), unattributed: 0 };
      const byGroupChildren = zeroes();
      let attributed = 0;
      for (const [pid, now] of end.ticks) {
        const before = start.ticks.get(pid);
        const delta = now.ticks - (before?.ticks ?? 0);
        byGroup[now.group] += delta;
        attributed += delta;
        // A process new to the stretch may have reaped children before it: only its growth counts when known.
        if (pid !== 1) byGroupChildren[now.group] += Math.max(0, now.children - (before?.children ?? now.children));
      }
      const busy = end.busyTicks - start.busyTicks;
      byGroup.unattributed = Math.max(0, busy - attributed);
      const round = (n: number) => Math.round(n * 100) / 100;
      const inCores = <K extends string>(ticks: Record<K, number>) => Object.fromEntries(Object.entries<number>(ticks).map(([group, n]) => [group, round(cores(n))])) as Record<K, number>;
      return { seconds: round(seconds), busyCores: round(cores(busy)), cores: end.cores, byGroup: inCores(byGroup), byGroupChildren: inCores(byGroupChildren) };
    },
  };
}
