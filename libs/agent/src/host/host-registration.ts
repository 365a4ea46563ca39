import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { Host, PrismaService } from '@berth/db';
import { Machine } from './machine';

/** Below this many neighbour entries the agent warns at start (npm run setup raises it to 16,384). */
export const NEIGHBOUR_ENTRIES_WANTED = 4096;

/**
 * What to tell the operator of a machine whose neighbour (ARP) table is too small for a dense
 * host: every awake web container is reached at its own address, one entry each, and past the
 * kernel's gc_thresh2 new containers never answer ("neighbor table overflow!" in the kernel's
 * log; bench:density failed every deploy past 512 awake on Linux's default).
 */
export function neighbourTableWarning(softLimit: number | null): string | null {
  if (softLimit === null || softLimit >= NEIGHBOUR_ENTRIES_WANTED) return null;
  return (
    `this machine's neighbour table keeps about ${softLimit} entries (net.ipv4.neigh.default.gc_thresh2): past about ${softLimit} awake web containers, ` +
    `new ones will not answer. Run npm run setup as root, or raise net.ipv4.neigh.default.gc_thresh1/2/3 (e.g. 4096/16384/32768).`
  );
}

/**
 * This agent's row in "Host": registered at start with its capacity (configured, or read from
 * the machine), then kept alive by heartbeats. A host the scheduler marked down becomes ready
 * again with its next heartbeat; a cordon or drain set by an operator stays.
 */
@Injectable()
export class HostRegistration {
  private readonly logger = new Logger(HostRegistration.name);
  private host?: Host;

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly machine: Machine,
    private readonly clock: Clock,
  ) {}

  get name(): string {
    return this.config.agent.hostName ?? this.machine.hostname();
  }

  get current(): Host {
    if (!this.host) throw new Error('the agent has not registered its host yet');
    return this.host;
  }

  async capacity(): Promise<{ memoryMb: number; cpuMillis: number; pidsLimit: number }> {
    const { agent } = this.config;
    const memoryMb = agent.memoryMb ?? Math.max(64, Math.floor((await this.machine.meminfo()).MemTotal / 1024) - agent.reservedMemoryMb);
    const cpuMillis = agent.cpuMillis ?? this.machine.cpuCount() * 1000;
    return { memoryMb, cpuMillis, pidsLimit: agent.pidsLimit };
  }

  async register(): Promise<Host> {
    const capacity = await this.capacity();
    const now = this.clock.now();
    const existing = await this.db.host.findUnique({ where: { name: this.name } });
    this.host = existing
      ? await this.db.host.update({
          where: { id: existing.id },
          // A changed capacity must not let an in-flight plan book what is no longer there.
          data: { ...capacity, address: this.config.agent.hostAddress, lastHeartbeatAt: now, state: existing.state === 'down' ? 'ready' : existing.state, version: { increment: 1 } },
        })
      : await this.db.host.create({ data: { name: this.name, address: this.config.agent.hostAddress, ...capacity, lastHeartbeatAt: now } });
    this.logger.log(`host ${this.host.name} registered: ${capacity.memoryMb} MB, ${capacity.cpuMillis / 1000} CPU, ${capacity.pidsLimit} pids, reached at ${this.host.address}`);
    const neighbours = neighbourTableWarning(await this.machine.neighbourTableSoftLimit());
    if (neighbours) this.logger.warn(neighbours);
    return this.host;
  }

  /** The machine's available memory (MemAvailable), which the sleeper watches for memory pressure. */
  async availableMemoryMb(): Promise<number | null> {
    const available = (await this.machine.meminfo()).MemAvailable;
    return Number.isFinite(available) ? Math.floor(available / 1024) : null;
  }

  async heartbeat(): Promise<void> {
    const host = this.current;
    const now = this.clock.now();
    const availableMemoryMb = await this.availableMemoryMb().catch(() => null);
    const changed = await this.db.host.updateMany({ where: { id: host.id, state: { not: 'down' } }, data: { lastHeartbeatAt: now, availableMemoryMb } });
    if (changed.count) return;
    // Marked down while we were away (or deleted): come back as ready, or register again.
    const back = await this.db.host.updateMany({ where: { id: host.id, state: 'down' }, data: { lastHeartbeatAt: now, availableMemoryMb, state: 'ready' } });
    if (back.count) this.logger.log(`host ${host.name} is back`);
    else await this.register();
  }
}
