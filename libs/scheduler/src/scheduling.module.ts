import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { QUEUES } from '@berth/queue';
import { ReleasesModule } from '@berth/releases';
import { LogStoreModule } from '@berth/logs';
import { PlatformCountersModule } from '@berth/metrics';
import { PlacementService } from './placement/placement.service';
import { RolloutProcessor } from './rollouts/rollout.processor';
import { RolloutService } from './rollouts/rollout.service';
import { SchedulerLoop } from './scheduler.loop';

/** Places instances on hosts, watches heartbeats and drains, runs rollouts (the scheduler role). */
@Module({
  imports: [ReleasesModule, LogStoreModule, PlatformCountersModule, BullModule.registerQueue({ name: QUEUES.scheduler })],
  providers: [PlacementService, RolloutService, RolloutProcessor, SchedulerLoop],
  exports: [PlacementService, RolloutService],
})
export class SchedulingModule {}
