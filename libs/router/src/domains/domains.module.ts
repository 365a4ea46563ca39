import { Module } from '@nestjs/common';
import { AppsModule } from '@berth/tenant-apps';
import { RoutesModule } from '../routes/routes.module';
import { DomainsController } from './domains.controller';
import { DomainsService } from './domains.service';

/** Custom domains of environments (api role); also forwards environment deletions to the routers. */
@Module({ imports: [AppsModule, RoutesModule], controllers: [DomainsController], providers: [DomainsService] })
export class DomainsModule {}
