import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { QUEUES } from '@berth/queue';
import { BuildLog } from './build-log/build-log.service';
import { BuildRecords } from './builds/build-records.service';
import { BuildQueueSweeper } from './queue/build-queue-sweeper';
import { BuildsProducer } from './queue/builds.producer';
import { SourceStore } from './source/source-store';

/** Build records, their logs and sources, and the build queue: what the api and builders share. */
@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.builds })],
  providers: [BuildLog, BuildRecords, BuildsProducer, BuildQueueSweeper, SourceStore],
  exports: [BuildLog, BuildRecords, BuildsProducer, BuildQueueSweeper, SourceStore],
})
export class BuildsModule {}
