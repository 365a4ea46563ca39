import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { AppAccess } from './app-access.service';
import { AppsController } from './apps/apps.controller';
import { AppsService } from './apps/apps.service';
import { ConfigVarsController } from './config-vars/config-vars.controller';
import { ConfigVarsService } from './config-vars/config-vars.service';
import { EnvironmentsController } from './environments/environments.controller';
import { EnvironmentStatusService } from './environments/environment-status.service';
import { EnvironmentsService } from './environments/environments.service';
import { Urls } from './urls';

/** Apps, their environments and config vars. */
@Module({
  imports: [AccountsModule],
  controllers: [AppsController, EnvironmentsController, ConfigVarsController],
  providers: [AppsService, AppAccess, EnvironmentsService, EnvironmentStatusService, ConfigVarsService, Urls],
  exports: [AppsService, AppAccess, EnvironmentsService, EnvironmentStatusService, ConfigVarsService, Urls],
})
export class AppsModule {}
