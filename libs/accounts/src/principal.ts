import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** Who is calling: the user behind the API token of the request. */
export interface Principal {
  userId: string;
  email: string;
  tokenId: string;
  scopes: string[];
  /** When the calling token expires; null when it does not. */
  expiresAt: Date | null;
  /** The token came from login or sign-up (the password was given), not from POST /api/tokens. */
  session: boolean;
}

export const IS_PUBLIC = 'berth:public';
/** Marks a route that needs no API token (signup, login, health, git's own auth). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The authenticated Principal of the request. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ user: Principal }>().user;
});
