import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { LogDrainsService } from './log-drains.service';

@ApiTags('logs')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/log-drains')
export class LogDrainsController {
  constructor(private readonly drains: LogDrainsService) {}

  /** The environment's drains, each with when it last delivered and its last error. */
  @Get()
  list(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string) {
    return this.drains.list(user.userId, app, env);
  }

  /**
   * Forwards the environment's log lines from now on to `url`: POSTs of JSON arrays of lines
   * (the shape of GET …/logs with Accept: application/json), retried with backoff.
   */
  @Post()
  @ApiBody({ schema: { type: 'object', required: ['url'], properties: { url: { type: 'string', example: 'https://user:secret@logs.example.com/berth' } } } })
  add(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Body() body: unknown) {
    return this.drains.add(user.userId, app, env, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Param('id') id: string) {
    return this.drains.remove(user.userId, app, env, id);
  }
}
