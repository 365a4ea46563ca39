import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { AppsModule } from '@berth/tenant-apps';
import { BuildsModule } from '@berth/builds';
import { LogStoreModule } from '@berth/logs';
import { QUEUES } from '@berth/queue';
import { FormationController } from './formation/formation.controller';
import { InstancesController } from './instances/instances.controller';
import { InstancesService } from './instances/instances.service';
import { Notifier } from '@berth/contracts';
import { BuildReleaseSweep } from './releases/build-release-sweep';
import { BuildReleaser } from './releases/build-releaser';
import { ReleaseEvents } from './releases/release-events';
import { ReleasesController } from './releases/releases.controller';
import { ReleasesService } from './releases/releases.service';
import { DeployFollower } from './deploys/deploy-follower';
import { RolloutProducer } from './deploys/rollout.producer';

/**
 * Releases, formations and the instances view of an environment; makes a release when a build
 * succeeds (BuildReleaser, at once from the push and by BuildReleaseSweep in every process that
 * loads this module) or config changes, and queues its rollout (run by the scheduler role).
 */
@Module({
  imports: [AppsModule, BuildsModule, LogStoreModule, BullModule.registerQueue({ name: QUEUES.scheduler })],
  controllers: [ReleasesController, FormationController, InstancesController],
  providers: [ReleasesService, InstancesService, RolloutProducer, Notifier, ReleaseEvents, DeployFollower, BuildReleaser, BuildReleaseSweep],
  exports: [ReleasesService, RolloutProducer, Notifier, DeployFollower, BuildReleaser, BuildReleaseSweep],
})
export class ReleasesModule {}
