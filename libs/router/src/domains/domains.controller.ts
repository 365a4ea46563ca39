import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { AddDomainDto } from './domains.dto';
import { DomainsService } from './domains.service';

@ApiTags('domains')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/domains')
export class DomainsController {
  constructor(private readonly domains: DomainsService) {}

  @Get()
  list(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string) {
    return this.domains.list(user.userId, app, env);
  }

  @Post()
  add(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Body() body: AddDomainDto) {
    return this.domains.add(user.userId, app, env, body.hostname);
  }

  @Delete(':hostname')
  @HttpCode(204)
  async remove(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Param('hostname') hostname: string) {
    await this.domains.remove(user.userId, app, env, hostname);
  }
}
