import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { ConfigVarsService } from './config-vars.service';

@ApiTags('config')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/config')
export class ConfigVarsController {
  constructor(private readonly configVars: ConfigVarsService) {}

  @Get()
  get(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string) {
    return this.configVars.get(user.userId, app, env);
  }

  /** `{"KEY": "value", "OLD": null}` sets KEY and unsets OLD in one change. */
  @Patch()
  @ApiBody({ schema: { type: 'object', additionalProperties: { type: 'string', nullable: true }, example: { DATABASE_URL: 'postgres://…', OLD_FLAG: null } } })
  patch(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Body() body: unknown) {
    return this.configVars.patch(user.userId, app, env, body);
  }
}
