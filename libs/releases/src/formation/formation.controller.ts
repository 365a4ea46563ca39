import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { ReleasesService } from '../releases/releases.service';

@ApiTags('formation')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/formation')
export class FormationController {
  constructor(private readonly releases: ReleasesService) {}

  @Get()
  get(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string) {
    return this.releases.formation(user.userId, app, env);
  }

  /** Changes quantity and sizes per process type; makes a new release and rolls it out. */
  @Patch()
  @ApiBody({ schema: { type: 'object', example: { web: { quantity: 3, memoryMb: 192, cpu: 0.25 }, worker: { quantity: 1, pidsLimit: 128, diskMb: 2048 } } } })
  patch(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Body() body: unknown) {
    return this.releases.scale(user.userId, app, env, body);
  }
}
