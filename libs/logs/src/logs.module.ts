import { Module } from '@nestjs/common';
import { AppsModule } from '@berth/tenant-apps';
import { DrainTransport } from './drains/drain-transport';
import { LogDrainForwarder } from './drains/log-drain-forwarder';
import { LogDrainsController } from './drains/log-drains.controller';
import { LogDrainsService } from './drains/log-drains.service';
import { LogLineSignal } from './log-line-signal';
import { LogRetention } from './log-retention';
import { LogStoreModule } from './log-store.module';
import { LogsController } from './logs.controller';
import { LogsService } from './logs.service';

/**
 * The runtime logs API of environments (api role), the trim that keeps history bounded, and
 * log drains (their API and the forwarder that POSTs new lines to them).
 */
@Module({
  imports: [AppsModule, LogStoreModule],
  controllers: [LogsController, LogDrainsController],
  providers: [LogsService, LogLineSignal, LogRetention, DrainTransport, LogDrainsService, LogDrainForwarder],
  exports: [LogStoreModule, LogRetention, LogDrainForwarder],
})
export class LogsModule {}
