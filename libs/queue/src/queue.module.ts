import { Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { DiscoveryModule } from '@nestjs/core';
import { BerthConfig } from '@berth/config';
import { QueueErrorWatch } from './queue-error-watch';

/** BullMQ on the configured Redis, with Berth's key prefix. Feature modules register their queues. */
@Global()
@Module({
  imports: [
    DiscoveryModule,
    BullModule.forRootAsync({
      inject: [BerthConfig],
      useFactory: (config: BerthConfig) => ({
        connection: { url: config.redis.url, maxRetriesPerRequest: null },
        prefix: `${config.redis.prefix}:bull`,
      }),
    }),
  ],
  providers: [QueueErrorWatch],
  exports: [BullModule],
})
export class QueueModule {}
