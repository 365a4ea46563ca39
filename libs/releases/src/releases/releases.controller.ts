import { Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { ReleasesService } from './releases.service';

@ApiTags('releases')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/releases')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  /** Newest first; `current` marks the release that serves traffic. */
  @Get()
  list(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string) {
    return this.releases.list(user.userId, app, env);
  }

  /** A new release with the image and config of release `:version` (`3` or `v3`). */
  @Post(':version/rollback')
  rollback(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Param('version') version: string) {
    return this.releases.rollback(user.userId, app, env, version);
  }

  /** Deploys the newest release (`:version`) again as a new release: a retry after a failed rollout. */
  @Post(':version/redeploy')
  redeploy(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Param('version') version: string) {
    return this.releases.redeploy(user.userId, app, env, version);
  }
}
