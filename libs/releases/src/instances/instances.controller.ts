import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { InstancesService } from './instances.service';

@ApiTags('instances')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Get()
  list(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string) {
    return this.instances.list(user.userId, app, env);
  }
}
