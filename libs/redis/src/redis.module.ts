import { Global, Module } from '@nestjs/common';
import { RedisService } from './redis.service';
import { WindowCounters } from './window-counters';

@Global()
@Module({ providers: [RedisService, WindowCounters], exports: [RedisService, WindowCounters] })
export class RedisModule {}
