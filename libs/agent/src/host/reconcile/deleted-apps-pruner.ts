import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { AppImages } from '@berth/engine';
import { LABELS } from '../../container-spec';
import { AppNetworks } from '../app-networks';
import { HostRegistration } from '../host-registration';
import { InstanceDisks } from '../instance-disks';

/**
 * Every AGENT_PRUNE_SECONDS: networks and images of deleted apps, on this host's engine (every
 * host has its own: no registry), and disks whose container is gone. Containers of deleted apps
 * went earlier in the round; an image one still uses stays until a later round. A prune runs
 * beside the rounds, one at a time: its engine calls wait behind the engine's starts (8 s at 370
 * containers on this host), and rounds that waited for it started nothing meanwhile.
 */
/** A prune longer than this is logged with where its time went. */
const SLOW_PRUNE_MS = 10_000;

@Injectable()
export class DeletedAppsPruner {
  private readonly logger = new Logger('Reconciler');
  private lastPrune = 0;
  private running?: Promise<void>;

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly host: HostRegistration,
    private readonly networks: AppNetworks,
    private readonly images: AppImages,
    private readonly disks: InstanceDisks,
  ) {}

  /** Starts a prune when one is due and none runs; `inUse`: instances whose container exists on this host (their disks are not tried). */
  pruneIfDue(now: number, inUse: ReadonlySet<string> = new Set()): void {
    if (this.running || now - this.lastPrune < this.config.agent.pruneMs) return;
    this.lastPrune = now;
    this.running = this.prune(inUse)
      .catch((error: Error) => this.logger.warn(`pruning deleted apps' networks, images and disks failed: ${error.message}; the next prune tries again`))
      .finally(() => (this.running = undefined));
  }

  /** The prune under way, if any (waited for on shutdown). */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async prune(inUse: ReadonlySet<string>): Promise<void> {
    const t0 = performance.now();
    // Asked after the engine's networks and images are listed: an app made since is not among them.
    const existing = async (ids: string[]) => new Set((await this.db.app.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((app) => app.id));
    await this.networks.prune(existing);
    const t1 = performance.now();
    const removed = await this.images.pruneDeletedApps(existing);
    if (removed) this.logger.log(`removed ${removed} image(s) of deleted apps`);
    const t2 = performance.now();
    await this.disks.prune(`${LABELS.host}=${this.host.name}`, inUse);
    const t3 = performance.now();
    if (t3 - t0 >= SLOW_PRUNE_MS) {
      this.logger.warn(`a prune took ${((t3 - t0) / 1000).toFixed(1)} s: networks ${Math.round(t1 - t0)} ms, images ${Math.round(t2 - t1)} ms, disks ${Math.round(t3 - t2)} ms`);
    }
  }
}
