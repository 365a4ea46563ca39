import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { CreateAppDto } from './apps.dto';
import { AppsService } from './apps.service';

@ApiTags('apps')
@ApiBearerAuth()
@Controller('api/apps')
export class AppsController {
  constructor(private readonly apps: AppsService) {}

  @Post()
  create(@CurrentUser() user: Principal, @Body() body: CreateAppDto) {
    return this.apps.create(user.userId, body);
  }

  @Get()
  list(@CurrentUser() user: Principal) {
    return this.apps.list(user.userId);
  }

  @Get(':app')
  get(@CurrentUser() user: Principal, @Param('app') app: string) {
    return this.apps.get(user.userId, app);
  }

  @Delete(':app')
  @HttpCode(204)
  async delete(@CurrentUser() user: Principal, @Param('app') app: string) {
    await this.apps.delete(user.userId, app);
  }
}
