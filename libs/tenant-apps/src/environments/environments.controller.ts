import { Body, Controller, Delete, Get, HttpCode, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { UpdateEnvironmentDto } from './environments.dto';
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
    return this.environments.get(user.userId, app, env, user.email);
  }

  /**
   * Sets a preview's time to live (`{"ttlHours": 72}`, null keeps it) and when an environment
   * sleeps (`{"sleepAfterMinutes": 30}`, null keeps it awake).
   */
  @Patch(':env')
  update(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Body() body: UpdateEnvironmentDto) {
    return this.environments.update(user.userId, app, env, body);
  }

  /** Deletes a preview: its instances stop and its URL stops answering. */
  @Delete(':env')
  @HttpCode(204)
  async delete(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string) {
    await this.environments.delete(user.userId, app, env);
  }
}
