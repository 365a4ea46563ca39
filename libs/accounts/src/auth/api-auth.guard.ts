import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { forbidden, unauthorized } from '@berth/common';
import { IS_PUBLIC, Principal } from '../principal';
import { TokensService } from '../tokens/tokens.service';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 2.1), or null. */
export function bearerToken(header: string | undefined): string | null {
  return header?.match(BEARER)?.[1] ?? null;
}

/**
 * Every route needs a bearer token unless marked @Public(). Reads need the token's `read`
 * scope, everything else `write`. The token is read only from the Authorization header: one in
 * the URL (`?access_token=`, which RFC 6750 allows) ends up in access logs, proxies, Referer
 * headers and browser history, and one in the body mixes credentials with data, so neither
 * authenticates. Git (Basic auth, libs/git) and the dashboard's log streams (fetch with the
 * header) need neither.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const header = request.headers.authorization;
    const secret = bearerToken(header);
    if (secret === null) {
      if (!header && carriesTokenElsewhere(request)) {
        throw unauthorized(
          'token_not_in_header',
          'Berth reads API tokens only from the header "Authorization: Bearer <token>", never from the URL or the request body (those end up in logs). Move the token there.',
        );
      }
      throw unauthorized('missing_token', 'Send an API token: "Authorization: Bearer <token>". Get one from POST /api/auth/login or the dashboard.');
    }
    const user = await this.tokens.verify(secret);
    if (!user) throw unauthorized('invalid_token', 'The API token is invalid, expired or revoked. Log in again (POST /api/auth/login) to get a new one.');
    request.user = user;
    const needed = READ_METHODS.has(request.method) ? 'read' : 'write';
    if (!user.scopes.includes(needed)) {
      throw forbidden('insufficient_scope', `This token lacks the "${needed}" scope. Create a token with that scope (POST /api/tokens).`);
    }
    return true;
  }
}

function carriesTokenElsewhere(request: Request): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  const body = request.body as unknown;
  return (
    (!!query && Object.hasOwn(query, 'access_token')) ||
    (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'access_token'))
  );
}
