import { Module } from '@nestjs/common';

/** The scheduler role. (Its modules arrive with the issue that builds it.) */
@Module({})
export class SchedulerModule {}
