import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiAuthGuard } from './auth/api-auth.guard';
import { AuthLimits } from './auth/auth-limits';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { TeamsController } from './teams/teams.controller';
import { TeamsService } from './teams/teams.service';
import { TokensController } from './tokens/tokens.controller';
import { TokensService } from './tokens/tokens.service';

/** Users, teams, memberships and API tokens, and the guard that checks tokens on every route. */
@Module({
  controllers: [AuthController, TokensController, TeamsController],
  providers: [AuthService, AuthLimits, TokensService, TeamsService, { provide: APP_GUARD, useClass: ApiAuthGuard }],
  exports: [TokensService, TeamsService],
})
export class AccountsModule {}
