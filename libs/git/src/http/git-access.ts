import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { TokensService } from '@berth/accounts';
import { AppAccess, AppWithTeam } from '@berth/tenant-apps';
import { forbidden, unauthorized } from '@berth/common';
import type { GitService } from '../repos/git-repos';

export interface GitCaller {
  userId: string;
  app: AppWithTeam;
}

/**
 * Who may use an app's repository over HTTP. Git sends HTTP basic auth: any user name and an
 * API token with the `git` scope as the password (a token alone as the user name works too).
 * Members push, viewers fetch; another team's app answers like an unknown one (404).
 */
@Injectable()
export class GitAccess {
  constructor(
    private readonly tokens: TokensService,
    private readonly apps: AppAccess,
  ) {}

  async authorize(req: Request, appName: string, service: GitService): Promise<GitCaller> {
    const verb = service === 'receive-pack' ? 'push to' : 'fetch from';
    const secret = basicSecret(req.headers.authorization);
    if (secret === null) {
      throw unauthorized(
        'git_credentials_missing',
        `Berth needs an API token to ${verb} an app: use any user name and a token with the "git" scope as the password (create one with POST /api/tokens).`,
      );
    }
    const principal = await this.tokens.verify(secret);
    if (!principal) {
      throw unauthorized('invalid_token', 'The token given as the password is invalid, expired or revoked. Create one with the "git" scope (POST /api/tokens) and use it as the password.');
    }
    if (!principal.scopes.includes('git')) {
      throw forbidden('insufficient_scope', `This token lacks the "git" scope, which it needs to ${verb} apps. Create one with it: POST /api/tokens {"name": "git", "scopes": ["git"]}.`);
    }
    const app = await this.apps.app(principal.userId, appName, service === 'receive-pack' ? 'member' : 'viewer');
    return { userId: principal.userId, app };
  }
}

/** The token in a Basic authorization header: the password, or the user name when the password is empty. */
export function basicSecret(header: string | undefined): string | null {
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
  const password = colon >= 0 ? decoded.slice(colon + 1) : '';
  return password || user || null;
}
