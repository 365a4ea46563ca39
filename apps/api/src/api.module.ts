import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { AppsModule } from '@berth/apps';
import { DashboardModule } from '@berth/dashboard';
import { HealthModule } from '@berth/health';

/** The api role: REST API, health, OpenAPI, the web dashboard. */
@Module({
  imports: [AccountsModule, AppsModule, HealthModule, DashboardModule],
})
export class ApiModule {}
