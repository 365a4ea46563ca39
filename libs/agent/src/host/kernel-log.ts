import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { closeSync, constants, openSync, readSync } from 'node:fs';

const OOM_KILL = /oom-kill:.*?oom_memcg=([^,\s]+)/;
const CONTAINER_ID = /([0-9a-f]{64})/;
const REMEMBERED = 10_000;

/** The container whose memory cgroup an `oom-kill:` record of the kernel log names, if any. */
export function oomKilledContainer(record: string): string | null {
  const memcg = OOM_KILL.exec(record)?.[1];
  return (memcg && CONTAINER_ID.exec(memcg)?.[1]) || null;
}

/**
 * The kernel's log (/dev/kmsg), read for one thing: which containers' cgroups the OOM killer
 * acted in. Podman does not report OOMKilled on cgroup v1 hosts; the kernel names the memory
 * cgroup, and the cgroup the container id. Read without blocking (a blocking read would hold
 * a libuv thread for good), only when asked.
 */
@Injectable()
export class KernelLog implements OnModuleDestroy {
  private readonly logger = new Logger(KernelLog.name);
  /** undefined: not opened yet; null: not readable here. */
  private fd: number | null | undefined;
  private readonly buffer = Buffer.alloc(8192);
  private readonly oomKilled = new Set<string>();

  /** Whether the OOM killer acted in this container's cgroup; null when the kernel log cannot be read. */
  sawOomKill(containerId: string): boolean | null {
    if (!this.drain()) return null;
    return this.oomKilled.has(containerId);
  }

  private drain(): boolean {
    if (this.fd === undefined) {
      try {
        this.fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (error) {
        this.fd = null;
        this.logger.warn(`cannot read the kernel log (${(error as Error).message}); out-of-memory kills are told from SIGKILLs by the kernel's OOM-kill count instead`);
      }
    }
    if (this.fd === null) return false;
    for (;;) {
      let read: number;
      try {
        // Each read returns one record.
        read = readSync(this.fd, this.buffer, 0, this.buffer.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return true; // nothing new
        if (code === 'EPIPE') continue; // records were overwritten before we read them; go on from the oldest left
        throw error;
      }
      if (read <= 0) return true;
      const id = oomKilledContainer(this.buffer.toString('utf8', 0, read));
      if (id) {
        this.oomKilled.add(id);
        if (this.oomKilled.size > REMEMBERED) this.oomKilled.delete(this.oomKilled.values().next().value!);
      }
    }
  }

  onModuleDestroy(): void {
    if (typeof this.fd === 'number') closeSync(this.fd);
    this.fd = null;
  }
}
