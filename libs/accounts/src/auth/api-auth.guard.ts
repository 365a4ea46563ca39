import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { forbidden, unauthorized } from '@berth/common';
import { IS_PUBLIC, Principal } from '../principal';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every route needs a bearer token unless marked @Public(). Reads need the token's `read`
 * scope, everything else `write`.
 */
@Injectable()
export class ApiAuthGuard extends AuthGuard('bearer') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<Request & { user: Principal }>();
    const needed = READ_METHODS.has(request.method) ? 'read' : 'write';
    if (!request.user.scopes.includes(needed)) {
      throw forbidden('insufficient_scope', `This token lacks the "${needed}" scope. Create a token with that scope (POST /api/tokens).`);
    }
    return true;
  }

  override handleRequest<T>(error: unknown, user: T, _info: unknown, context: ExecutionContext): T {
    if (error) throw error;
    if (!user) {
      const header = context.switchToHttp().getRequest<Request>().headers.authorization;
      throw header
        ? unauthorized('invalid_token', 'The API token is invalid, expired or revoked. Log in again (POST /api/auth/login) to get a new one.')
        : unauthorized('missing_token', 'Send an API token: "Authorization: Bearer <token>". Get one from POST /api/auth/login or the dashboard.');
    }
    return user;
  }
}
