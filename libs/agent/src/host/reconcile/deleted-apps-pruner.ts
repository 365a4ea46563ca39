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
 * went earlier in the round; an image one still uses stays until a later round.
 */
@Injectable()
export class DeletedAppsPruner {
  private readonly logger = new Logger('Reconciler');
  private lastPrune = 0;

  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly host: HostRegistration,
    private readonly networks: AppNetworks,
    private readonly images: AppImages,
    private readonly disks: InstanceDisks,
  ) {}

  /** `inUse`: instances whose container exists on this host (their disks are not pruned). */
  async pruneIfDue(now: number, inUse: ReadonlySet<string> = new Set()): Promise<void> {
    if (now - this.lastPrune < this.config.agent.pruneMs) return;
    this.lastPrune = now;
    const apps = await this.db.app.findMany({ select: { id: true } });
    await this.networks.prune(new Set(apps.map((app) => app.id)));
    const existing = async (ids: string[]) => new Set((await this.db.app.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((app) => app.id));
    const removed = await this.images.pruneDeletedApps(existing);
    if (removed) this.logger.log(`removed ${removed} image(s) of deleted apps`);
    await this.disks.prune(`${LABELS.host}=${this.host.name}`, inUse);
  }
}
