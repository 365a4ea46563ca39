import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { AppsModule } from '@berth/apps';
import { HealthModule } from '@berth/health';
import { DomainsModule } from '@berth/router';

/** The api role: REST API, health, OpenAPI. */
@Module({
  imports: [AccountsModule, AppsModule, HealthModule, DomainsModule],
})
export class ApiModule {}
