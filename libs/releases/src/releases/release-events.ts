import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  APP_DELETED,
  AppDeletedEvent,
  ENVIRONMENT_DELETED,
  EnvironmentDeletedEvent,
} from '@berth/apps';
import { BUILD_SUCCEEDED, BuildLog, BuildSucceededEvent } from '@berth/builds';
import { PrismaService } from '@berth/db';
import { Notifier } from '../notifications';
import { DeployFollower } from '../rollouts/deploy-follower';
import { ReleasesService } from './releases.service';

/** Reacts to other libraries: builds make releases (config changes do through ConfigReleaser); deletions stop containers. */
@Injectable()
export class ReleaseEvents {
  constructor(
    private readonly db: PrismaService,
    private readonly releases: ReleasesService,
    private readonly follower: DeployFollower,
    private readonly log: BuildLog,
    private readonly notifier: Notifier,
  ) {}

  /**
   * A build succeeded: release it and follow the rollout, so the `git push` that waits on this
   * listener ends with "Deployed", or fails with the reason the release failed.
   */
  @OnEvent(BUILD_SUCCEEDED, { suppressErrors: false })
  async onBuildSucceeded(event: BuildSucceededEvent): Promise<void> {
    const build = await this.db.build.findUnique({ where: { id: event.buildId }, select: { createdById: true } });
    const release = await this.releases.deployImage({ environmentId: event.environmentId, imageId: event.imageId, createdById: build?.createdById ?? null });
    if (!release) return;
    // Same layout as the build's own lines: a step after "-----> ", its details indented.
    await this.log.append(event.buildId, `-----> Releasing v${release.version}…\n`);
    const { outcome, message } = await this.follower.follow(release.id, (line) => this.log.append(event.buildId, `       ${line}\n`));
    if (outcome === 'failed') throw new Error(message);
    await this.log.append(event.buildId, `       ${message}\n`);
  }

  /**
   * The environment's rows are gone (cascade), instances included: every agent now finds
   * containers nobody wants and removes them. (Routers hear of it from @berth/router's
   * RouteChanges, which listens to the same events.)
   */
  @OnEvent(ENVIRONMENT_DELETED)
  async onEnvironmentDeleted(_event: EnvironmentDeletedEvent): Promise<void> {
    await this.notifier.placementsChanged('*');
  }

  @OnEvent(APP_DELETED)
  async onAppDeleted(_event: AppDeletedEvent): Promise<void> {
    await this.notifier.placementsChanged('*');
  }
}
