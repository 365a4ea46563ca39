import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiAuthGuard } from './auth/api-auth.guard';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { BearerStrategy } from './auth/bearer.strategy';
import { TeamsController } from './teams/teams.controller';
import { TeamsService } from './teams/teams.service';
import { TokensController } from './tokens/tokens.controller';
import { TokensService } from './tokens/tokens.service';

/** Users, teams, memberships and API tokens, and the guard that checks tokens on every route. */
@Module({
  imports: [PassportModule],
  controllers: [AuthController, TokensController, TeamsController],
  providers: [AuthService, TokensService, TeamsService, BearerStrategy, { provide: APP_GUARD, useClass: ApiAuthGuard }],
  exports: [TokensService, TeamsService],
})
export class AccountsModule {}
