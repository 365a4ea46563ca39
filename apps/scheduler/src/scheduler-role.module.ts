import { Module } from '@nestjs/common';
import { SchedulerModule } from '@berth/scheduler';
import { SleeperModule } from '@berth/sleep';

/** The scheduler role: placement, host heartbeats and drains, rollouts, putting idle environments to sleep. */
@Module({
  imports: [SchedulerModule, SleeperModule],
})
export class SchedulerRoleModule {}
