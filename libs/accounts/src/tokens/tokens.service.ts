import { Injectable } from '@nestjs/common';
import { AppError, Clock, forbidden, generateToken, hashToken, notFound } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import type { Principal } from '../principal';
import { Scope } from './scopes';

export interface NewToken {
  id: string;
  name: string;
  /** The secret, shown once. */
  token: string;
  prefix: string;
  scopes: string[];
  expiresAt: Date | null;
  createdAt: Date;
}

const LAST_USED_RESOLUTION_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Why the calling token may not create a token with these scopes and expiry, or null when it
 * may. A token cannot give more than it has: no scope it lacks, no expiry later than its own
 * (a token without expiry may choose any). A session token (login or sign-up: the password was
 * just given) may create tokens that outlive it, so a dashboard user can make a CI token that
 * does not expire; its scopes are all of them.
 */
export function escalationProblem(
  caller: Pick<Principal, 'scopes' | 'expiresAt' | 'session'>,
  wanted: { scopes: readonly string[]; expiresAt: Date | null },
  now: Date,
): AppError | null {
  const lacking = wanted.scopes.filter((scope) => !caller.scopes.includes(scope));
  if (lacking.length) {
    return forbidden(
      'scope_escalation',
      `This token has the scopes ${caller.scopes.join(', ')} and cannot create a token with more (asked for ${lacking.join(', ')}). ` +
        'Ask only for scopes this token has, or create the token while logged in (the dashboard or a token from POST /api/auth/login).',
    );
  }
  if (caller.session || caller.expiresAt === null) return null;
  if (wanted.expiresAt !== null && wanted.expiresAt <= caller.expiresAt) return null;
  const until = caller.expiresAt.toISOString();
  const maxDays = Math.floor((caller.expiresAt.getTime() - now.getTime()) / DAY_MS);
  return forbidden(
    'expiry_escalation',
    maxDays >= 1
      ? `This token expires at ${until}, so a token it creates must expire by then: set expiresInDays to ${maxDays} or less. ` +
          'For a longer-lived token, create it while logged in (the dashboard or a token from POST /api/auth/login).'
      : `This token expires at ${until}, in less than a day, so it cannot create tokens. Log in (POST /api/auth/login) and create the token with that session.`,
  );
}

/** API tokens: random secrets of which only a SHA-256 is stored. */
@Injectable()
export class TokensService {
  constructor(
    private readonly db: PrismaService,
    private readonly clock: Clock,
  ) {}

  async create(
    userId: string,
    input: { name: string; scopes: readonly Scope[]; expiresAt: Date | null; session?: boolean },
    tx: Prisma.TransactionClient = this.db,
  ): Promise<NewToken> {
    if (input.scopes.length === 0) throw new Error('a token needs at least one scope');
    const token = generateToken();
    const row = await tx.apiToken.create({
      data: {
        userId,
        name: input.name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, 12),
        scopes: [...new Set(input.scopes)],
        expiresAt: input.expiresAt,
        session: input.session ?? false,
      },
    });
    return { id: row.id, name: row.name, token, prefix: row.prefix, scopes: row.scopes, expiresAt: row.expiresAt, createdAt: row.createdAt };
  }

  /** A token created by the calling token: never with more scopes or a later expiry (see escalationProblem). */
  async createFor(caller: Principal, input: { name: string; scopes?: readonly Scope[]; expiresAt: Date | null }): Promise<NewToken> {
    // Without scopes asked for, the new token gets the caller's own, never more.
    const scopes = input.scopes ?? (caller.scopes as Scope[]);
    const problem = escalationProblem(caller, { scopes, expiresAt: input.expiresAt }, this.clock.now());
    if (problem) throw problem;
    return this.create(caller.userId, { name: input.name, scopes, expiresAt: input.expiresAt });
  }

  list(userId: string) {
    return this.db.apiToken.findMany({
      where: { userId },
      orderBy: { createdAt: 'desc' },
      select: { id: true, name: true, prefix: true, scopes: true, expiresAt: true, lastUsedAt: true, createdAt: true },
    });
  }

  async revoke(userId: string, id: string): Promise<void> {
    const { count } = await this.db.apiToken.deleteMany({ where: { id, userId } });
    if (count === 0) throw notFound('token_not_found', `You have no token with id ${id}. List your tokens with GET /api/tokens.`);
  }

  /** The principal for a presented secret, or null when it is unknown or expired. */
  async verify(secret: string): Promise<Principal | null> {
    if (!secret || secret.length > 200) return null;
    const row = await this.db.apiToken.findUnique({ where: { tokenHash: hashToken(secret) }, include: { user: { select: { email: true } } } });
    const now = this.clock.now();
    if (!row || (row.expiresAt && row.expiresAt <= now)) return null;
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
    }
    return { userId: row.userId, email: row.user.email, tokenId: row.id, scopes: row.scopes, expiresAt: row.expiresAt, session: row.session };
  }
}
