import { Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { BerthConfig } from '@berth/config';

/** BullMQ on the configured Redis, with Berth's key prefix. Feature modules register their queues. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [BerthConfig],
      useFactory: (config: BerthConfig) => ({
        connection: { url: config.redis.url, maxRetriesPerRequest: null },
        prefix: `${config.redis.prefix}:bull`,
      }),
    }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
