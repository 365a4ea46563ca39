import { Module } from '@nestjs/common';
import { AppsModule } from '@berth/tenant-apps';
import { AppNetworks, Cgroups, ContainerRuntime, InstanceDisks } from '@berth/agent';
import { RunController } from './run.controller';
import { RunService } from './run.service';

/** One-off runs of a command in the current release (served by the api role). */
@Module({
  imports: [AppsModule],
  controllers: [RunController],
  providers: [RunService, InstanceDisks, Cgroups, ContainerRuntime, AppNetworks],
})
export class OneOffModule {}
