import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { OneOffModule } from '@berth/one-off';
import { AppsModule } from '@berth/tenant-apps';
import { BuildsHttpModule } from '@berth/builds';
import { DashboardModule } from '@berth/dashboard';
import { GitModule } from '@berth/git';
import { HealthModule } from '@berth/health';
import { LogsModule } from '@berth/logs';
import { MetricsModule } from '@berth/metrics';
import { ReleasesModule } from '@berth/releases';
import { DomainsModule } from '@berth/router';
import { HostsModule } from '@berth/scheduler';

/** The api role: REST API, `git push` over smart HTTP, custom domains, health, OpenAPI, the web dashboard. */
@Module({
  imports: [
    AccountsModule,
    AppsModule,
    BuildsHttpModule,
    GitModule,
    ReleasesModule,
    HostsModule,
    OneOffModule,
    DomainsModule,
    HealthModule,
    LogsModule,
    MetricsModule,
    DashboardModule,
  ],
})
export class ApiRoleModule {}
