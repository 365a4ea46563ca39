import { Module } from '@nestjs/common';
import { ReleasesModule } from '@berth/releases';
import { HostsController } from './hosts.controller';
import { HostsService } from './hosts.service';

/** The operators' hosts API (served by the api role). */
@Module({
  imports: [ReleasesModule],
  controllers: [HostsController],
  providers: [HostsService],
})
export class HostsModule {}
