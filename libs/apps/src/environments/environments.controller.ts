import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { EnvironmentsService } from './environments.service';

@ApiTags('environments')
@ApiBearerAuth()
@Controller('api/apps/:app/environments')
export class EnvironmentsController {
  constructor(private readonly environments: EnvironmentsService) {}

  @Get()
  list(@CurrentUser() user: Principal, @Param('app') app: string) {
    return this.environments.list(user.userId, app);
  }

  @Get(':env')
  get(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string) {
    return this.environments.get(user.userId, app, env);
  }
}
