import { Module } from '@nestjs/common';
import { SchedulingModule } from '@berth/scheduler';

/** The scheduler role: placement, host heartbeats and drains, rollouts. */
@Module({
  imports: [SchedulingModule],
})
export class SchedulerModule {}
