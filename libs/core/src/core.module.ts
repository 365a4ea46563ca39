import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { BerthConfigShape, ConfigModule, loadConfig } from '@berth/config';
import { CommonModule } from '@berth/common';
import { DbModule } from '@berth/db';
import { EngineModule } from '@berth/engine';
import { QueueModule } from '@berth/queue';
import { RedisModule } from '@berth/redis';

/** What every role needs: validated config, PostgreSQL, Redis, queues, the engine client, in-process events. */
@Module({})
export class CoreModule {
  static forRoot(config: BerthConfigShape = loadConfig()): DynamicModule {
    return {
      module: CoreModule,
      imports: [ConfigModule.forRoot(config), CommonModule, DbModule, RedisModule, QueueModule, EngineModule, EventEmitterModule.forRoot()],
    };
  }
}
