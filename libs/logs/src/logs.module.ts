import { Module } from '@nestjs/common';
import { AppsModule } from '@berth/apps';
import { LogRetention } from './log-retention';
import { LogStoreModule } from './log-store.module';
import { LogsController } from './logs.controller';
import { LogsService } from './logs.service';

/** The runtime logs API of environments (api role), and the trim that keeps history bounded. */
@Module({
  imports: [AppsModule, LogStoreModule],
  controllers: [LogsController],
  providers: [LogsService, LogRetention],
  exports: [LogStoreModule, LogRetention],
})
export class LogsModule {}
