import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Clock, uuidOr404 } from '@berth/common';
import { CurrentUser, Principal } from '../principal';
import { CreateTokenDto } from './tokens.dto';
import { TokensService } from './tokens.service';

const DAY_MS = 86_400_000;

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('api/tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly clock: Clock,
  ) {}

  @Get()
  list(@CurrentUser() user: Principal) {
    return this.tokens.list(user.userId);
  }

  /** The secret is in the response once and cannot be shown again. 403 when it would outdo the calling token. */
  @Post()
  create(@CurrentUser() user: Principal, @Body() body: CreateTokenDto) {
    const expiresAt = body.expiresInDays ? new Date(this.clock.now().getTime() + body.expiresInDays * DAY_MS) : null;
    return this.tokens.createFor(user, { name: body.name, scopes: body.scopes, expiresAt });
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentUser() user: Principal, @Param('id', uuidOr404('token_not_found', 'No such token. List your tokens with GET /api/tokens.')) id: string) {
    await this.tokens.revoke(user.userId, id);
  }
}
