import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { invalidInput } from '@berth/common';
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

  /**
   * The apps of the caller's teams by name. With `limit` (or `cursor`), one page
   * `{apps, nextCursor}` whose apps carry their production `status` and `previews` count; pass
   * `nextCursor` back as `cursor` for the next page. Without either, every app as a plain array
   * (the original answer, kept for existing clients).
   */
  @Get()
  @ApiQuery({ name: 'limit', required: false, description: '1 to 200, default 50 when cursor is given' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  list(@CurrentUser() user: Principal, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    if (limit === undefined && cursor === undefined) return this.apps.list(user.userId);
    const take = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(take) || take < 1 || take > 200) throw invalidInput({ limit: 'must be a whole number from 1 to 200' });
    if (cursor !== undefined && (typeof cursor !== 'string' || cursor.length > 100)) throw invalidInput({ cursor: 'must be the nextCursor of the previous page' });
    return this.apps.page(user.userId, { limit: take, cursor: cursor || undefined });
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
