import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { AppsModule } from '@berth/apps';
import { BuildsHttpModule } from '@berth/builds';
import { DashboardModule } from '@berth/dashboard';
import { GitModule } from '@berth/git';
import { HealthModule } from '@berth/health';

/** The api role: REST API, `git push` over smart HTTP, health, OpenAPI, the web dashboard. */
@Module({
  imports: [AccountsModule, AppsModule, BuildsHttpModule, GitModule, HealthModule, DashboardModule],
})
export class ApiModule {}
