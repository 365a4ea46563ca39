import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { OneOffModule } from '@berth/agent';
import { AppsModule } from '@berth/apps';
import { HealthModule } from '@berth/health';
import { ReleasesModule } from '@berth/releases';
import { HostsModule } from '@berth/scheduler';

/** The api role: REST API, health, OpenAPI. */
@Module({
  imports: [AccountsModule, AppsModule, HealthModule, ReleasesModule, HostsModule, OneOffModule],
})
export class ApiModule {}
