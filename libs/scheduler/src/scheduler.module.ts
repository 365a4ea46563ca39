import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { QUEUES } from '@berth/queue';
import { ReleasePhaseModule } from '@berth/one-off';
import { BuildsModule } from '@berth/builds';
import { ReleasesModule } from '@berth/releases';
import { LogStoreModule } from '@berth/logs';
import { PlatformCountersModule } from '@berth/metrics';
import { InstancePlacer } from './placer/instance-placer';
import { RolloutProcessor } from './rollouts/rollout.processor';
import { ReleasePhaseService } from './rollouts/release-phase.service';
import { RolloutService } from './rollouts/rollout.service';
import { SchedulerLoop } from './scheduler.loop';

/** Places instances on hosts, watches heartbeats and drains, runs rollouts (the scheduler role). */
@Module({
  imports: [ReleasesModule, BuildsModule, ReleasePhaseModule, LogStoreModule, PlatformCountersModule, BullModule.registerQueue({ name: QUEUES.scheduler })],
  providers: [InstancePlacer, RolloutService, ReleasePhaseService, RolloutProcessor, SchedulerLoop],
  exports: [InstancePlacer, RolloutService],
})
export class SchedulerModule {}
