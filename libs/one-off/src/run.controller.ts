import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Principal } from '@berth/accounts';
import { RunService } from './run.service';

@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/run')
export class RunController {
  constructor(private readonly runs: RunService) {}

  /**
   * Runs a command in a fresh container of the current release and streams its output as
   * plain text; the last line (and the X-Berth-Exit-Code trailer) gives the exit code.
   */
  @Post()
  @ApiBody({ schema: { type: 'object', properties: { command: { type: 'string', example: 'ls -la' } }, required: ['command'] } })
  @ApiProduces('text/plain')
  async run(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Body() body: unknown, @Res() res: Response): Promise<void> {
    await this.runs.run(user.userId, app, env, body, res);
  }
}
