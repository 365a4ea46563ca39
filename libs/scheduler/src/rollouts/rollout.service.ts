import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { FormationEntry, Instance, PrismaService, Release } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { requestsFor } from '@berth/placement';
import { isReady, Notifier } from '@berth/contracts';
import { InstancePlacer } from '../placer/instance-placer';
import { ReleasePhaseService } from './release-phase.service';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROLLING = ['pending', 'deploying'] as const;

export type RolloutOutcome = 'active' | 'failed' | 'superseded' | 'skipped';

const label = (i: Pick<Instance, 'processType' | 'index'>) => `${i.processType}.${i.index}`;

/**
 * Zero-downtime rollout of one release: run its release phase (ReleasePhaseService), if any,
 * then start its instances beside the running ones, wait
 * until every web instance answers (and every other process runs), mark it current (the
 * router follows), wait ROLLOUT_DRAIN_SECONDS, then stop the older releases' instances. If the
 * new instances fail or time out, the release is marked failed and the old one keeps serving.
 * Every step can run again: a retried job continues where the last attempt stopped.
 */
@Injectable()
export class RolloutService {
  private readonly logger = new Logger(RolloutService.name);

  constructor(
    private readonly db: PrismaService,
    private readonly placement: InstancePlacer,
    private readonly notifier: Notifier,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly logs: LogWriter,
    private readonly releasePhase: ReleasePhaseService,
  ) {}

  async run(releaseId: string, pollMs = 300): Promise<RolloutOutcome> {
    const release = await this.db.release.findUnique({ where: { id: releaseId }, include: { formation: true } });
    if (!release || !(ROLLING as readonly string[]).includes(release.status) || !release.imageId) return 'skipped';
    if (await this.newerActive(release)) return this.supersede(release);

    await this.db.release.updateMany({ where: { id: release.id, status: { in: [...ROLLING] } }, data: { status: 'deploying' } });
    // The release phase (a Procfile `release:` command) ends before any instance of the release starts.
    const phaseFailure = await this.releasePhase.run(release);
    if (phaseFailure) return this.fail(release, phaseFailure);
    await this.startInstances(release);

    const deadline = this.clock.now().getTime() + this.config.scheduler.rolloutTimeoutMs;
    for (;;) {
      const current = await this.db.release.findUnique({ where: { id: release.id }, select: { status: true } });
      if (!current || current.status !== 'deploying') return current?.status === 'active' ? 'active' : current?.status === 'failed' ? 'failed' : 'superseded';
      if (await this.newerActive(release)) return this.supersede(release);
      const instances = await this.db.instance.findMany({ where: { releaseId: release.id }, include: { host: { select: { state: true } } }, orderBy: [{ processType: 'asc' }, { index: 'asc' }] });
      const broken = instances.find((i) => i.actualState === 'failed' || (i.actualState === 'crashed' && !i.healthy));
      // The agent would restart it; the release is failed, so its "restarting in …" does not apply.
      if (broken) return this.fail(release, `${label(broken)} ${(broken.reason ?? broken.actualState).replace(/; (restarting|trying again) in \d+ s$/, '')}`);
      // Web instances must be routable (what the router sends requests to), the others run.
      if (instances.every(isReady)) break;
      if (this.clock.now().getTime() > deadline) {
        const late = instances.filter((i) => !isReady(i));
        const first = late[0];
        const why = first.hostId === null ? `could not be placed (${first.reason ?? 'no capacity'})` : `was ${first.actualState}${first.reason ? ` (${first.reason})` : ''}`;
        return this.fail(release, `${late.length} instance${late.length === 1 ? '' : 's'} not ready after ${Math.round(this.config.scheduler.rolloutTimeoutMs / 1000)} s; ${label(first)} ${why}`);
      }
      await sleep(pollMs);
    }

    const activated = await this.activate(release);
    if (activated !== 'active') return activated;
    await this.notifier.routesChanged(release.environmentId);
    this.logger.log(`release v${release.version} of environment ${release.environmentId} is current`);

    // The router has been told; give it time to switch before the old instances go away.
    await sleep(this.config.scheduler.drainMs);
    await this.stopInstances({ environmentId: release.environmentId, release: { version: { lt: release.version } } });
    return 'active';
  }

  /**
   * One row per wanted instance, with the limits of its formation line and the requests it
   * books, then placed. skipDuplicates (on release, process type, index) makes a retry harmless.
   */
  async startInstances(release: Release & { formation: FormationEntry[] }): Promise<void> {
    await this.db.instance.createMany({
      data: release.formation.flatMap((line) => {
        const requests = requestsFor(line, { memoryMb: line.memoryRequestMb, cpuMillis: line.cpuRequestMillis }, this.config.placement.requestRatios);
        return Array.from({ length: line.quantity }, (_, i) => ({
          environmentId: release.environmentId,
          releaseId: release.id,
          processType: line.processType,
          index: i + 1,
          memoryMb: line.memoryMb,
          cpuMillis: line.cpuMillis,
          pidsLimit: line.pidsLimit,
          diskMb: line.diskMb,
          memoryRequestMb: requests.memoryMb,
          cpuRequestMillis: requests.cpuMillis,
        }));
      }),
      skipDuplicates: true,
    });
    await this.placement.placePending({ releaseId: release.id });
  }

  /** Marks the release current and the previous one superseded, unless a newer one got there first. */
  private async activate(release: Release): Promise<RolloutOutcome> {
    return this.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Environment" WHERE id = ${release.environmentId}::uuid FOR UPDATE`;
      const newer = await tx.release.findFirst({ where: { environmentId: release.environmentId, version: { gt: release.version }, status: 'active' } });
      if (newer) return 'superseded' as const;
      const mine = await tx.release.updateMany({ where: { id: release.id, status: 'deploying' }, data: { status: 'active', failureReason: null } });
      if (mine.count !== 1) return 'skipped' as const;
      await tx.release.updateMany({ where: { environmentId: release.environmentId, status: 'active', id: { not: release.id } }, data: { status: 'superseded' } });
      return 'active' as const;
    }).then(async (outcome) => {
      if (outcome === 'active') this.event(release, `release v${release.version} deployed: it is current`);
      return outcome === 'superseded' ? this.supersede(release) : outcome;
    });
  }

  /** Berth's line in the environment's runtime log. */
  private event(release: Pick<Release, 'version' | 'environmentId'>, text: string): void {
    this.logs.write({ environmentId: release.environmentId, time: this.clock.now(), source: 'berth', release: release.version, text });
  }

  private newerActive(release: Release) {
    return this.db.release.findFirst({ where: { environmentId: release.environmentId, version: { gt: release.version }, status: 'active' }, select: { id: true } });
  }

  private async supersede(release: Release): Promise<RolloutOutcome> {
    await this.db.release.updateMany({ where: { id: release.id, status: { in: [...ROLLING] } }, data: { status: 'superseded', failureReason: 'a newer release became current first' } });
    await this.stopInstances({ releaseId: release.id });
    return 'superseded';
  }

  /** The release failed: say why, stop its instances; whatever served before keeps serving. */
  async fail(release: Pick<Release, 'id' | 'version' | 'environmentId'>, reason: string): Promise<RolloutOutcome> {
    const changed = await this.db.release.updateMany({ where: { id: release.id, status: { in: [...ROLLING] } }, data: { status: 'failed', failureReason: reason } });
    if (changed.count) {
      this.logger.warn(`release v${release.version} of environment ${release.environmentId} failed: ${reason}`);
      this.event(release, `release v${release.version} failed: ${reason}; the previous release keeps serving`);
    }
    await this.stopInstances({ releaseId: release.id });
    return 'failed';
  }

  private async stopInstances(where: { releaseId?: string; environmentId?: string; release?: { version: { lt: number } } }): Promise<void> {
    const rows = await this.db.instance.findMany({ where: { ...where, desiredState: 'running' }, select: { id: true, hostId: true, environmentId: true } });
    if (!rows.length) return;
    await this.db.instance.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { desiredState: 'stopped' } });
    await this.notifier.placementsChanged(rows.map((r) => r.hostId).filter((id): id is string => Boolean(id)));
    await this.notifier.routesChanged(...rows.map((r) => r.environmentId));
  }
}
