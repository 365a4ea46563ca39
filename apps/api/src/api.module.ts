import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { AppsModule } from '@berth/apps';
import { BuildsHttpModule } from '@berth/builds';
import { DashboardModule } from '@berth/dashboard';
import { GitModule } from '@berth/git';
import { HealthModule } from '@berth/health';
import { DomainsModule } from '@berth/router';

/** The api role: REST API, `git push` over smart HTTP, custom domains, health, OpenAPI, the web dashboard. */
@Module({
  imports: [AccountsModule, AppsModule, BuildsHttpModule, GitModule, DomainsModule, HealthModule, DashboardModule],
})
export class ApiModule {}
