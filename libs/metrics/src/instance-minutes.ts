import type { EnvironmentInstanceMinute } from './metric-store';

/** Who an instance is, for its metrics. */
export interface InstanceKey {
  environmentId: string;
  /** web.1 */
  instance: string;
  memoryLimitMb: number;
}

/**
 * An agent's instances' samples and events per minute in memory until taken (pure): CPU and
 * memory averaged over the minute's samples, restarts and OOM kills counted.
 */
export class InstanceMinutes {
  private readonly minutes = new Map<string, EnvironmentInstanceMinute & { cpuSum: number; cpuSamples: number; memorySum: number }>();

  private row(key: InstanceKey, time: Date) {
    const minute = Math.floor(time.getTime() / 60_000) * 60_000;
    const id = `${key.environmentId} ${key.instance} ${minute}`;
    let m = this.minutes.get(id);
    if (!m) {
      m = { ...key, minute: new Date(minute), samples: 0, cpuPercent: null, memoryMb: null, restarts: 0, oomKills: 0, cpuSum: 0, cpuSamples: 0, memorySum: 0 };
      this.minutes.set(id, m);
    }
    m.memoryLimitMb = key.memoryLimitMb;
    return m;
  }

  /** A sample of a running instance: memory in bytes, CPU in percent of one core (null: not known yet). */
  sample(key: InstanceKey, time: Date, memoryBytes: number, cpuPercent: number | null): void {
    const m = this.row(key, time);
    m.samples++;
    m.memorySum += memoryBytes / (1024 * 1024);
    if (cpuPercent !== null) {
      m.cpuSum += cpuPercent;
      m.cpuSamples++;
    }
  }

  /** The instance was restarted (after a crash, a failed health check); `oomKilled` when memory ran out. */
  restarted(key: InstanceKey, time: Date, oomKilled: boolean): void {
    const m = this.row(key, time);
    m.restarts++;
    if (oomKilled) m.oomKills++;
  }

  get size(): number {
    return this.minutes.size;
  }

  take(): EnvironmentInstanceMinute[] {
    const rows = [...this.minutes.values()].map(({ cpuSum, cpuSamples, memorySum, ...row }) => ({
      ...row,
      // CPU is averaged over the samples that had it, and stored weighted by all samples.
      cpuPercent: cpuSamples ? cpuSum / cpuSamples : null,
      memoryMb: row.samples ? memorySum / row.samples : null,
    }));
    this.minutes.clear();
    return rows;
  }
}
