import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { HostsService } from './hosts.service';

/** Operators only (BERTH_OPERATOR_EMAILS): hosts are shared by every team. */
@ApiTags('hosts')
@ApiBearerAuth()
@Controller('api/hosts')
export class HostsController {
  constructor(private readonly hosts: HostsService) {}

  @Get()
  list(@CurrentUser() user: Principal) {
    return this.hosts.list(user.email);
  }

  @Post(':host/cordon')
  @HttpCode(200)
  cordon(@CurrentUser() user: Principal, @Param('host') host: string) {
    return this.hosts.cordon(user.email, host, true);
  }

  @Post(':host/uncordon')
  @HttpCode(200)
  uncordon(@CurrentUser() user: Principal, @Param('host') host: string) {
    return this.hosts.cordon(user.email, host, false);
  }

  @Post(':host/drain')
  @HttpCode(200)
  drain(@CurrentUser() user: Principal, @Param('host') host: string) {
    return this.hosts.drain(user.email, host);
  }
}
