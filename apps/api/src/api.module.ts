import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { AppsModule } from '@berth/apps';
import { HealthModule } from '@berth/health';

/** The api role: REST API, health, OpenAPI. */
@Module({
  imports: [AccountsModule, AppsModule, HealthModule],
})
export class ApiModule {}
