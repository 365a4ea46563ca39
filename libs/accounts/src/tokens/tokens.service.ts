import { Injectable } from '@nestjs/common';
import { Clock, generateToken, hashToken, notFound } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import type { Principal } from '../principal';
import { ALL_SCOPES, Scope } from './scopes';

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

/** API tokens: random secrets of which only a SHA-256 is stored. */
@Injectable()
export class TokensService {
  constructor(
    private readonly db: PrismaService,
    private readonly clock: Clock,
  ) {}

  async create(
    userId: string,
    input: { name: string; scopes?: Scope[]; expiresAt?: Date | null },
    tx: Prisma.TransactionClient = this.db,
  ): Promise<NewToken> {
    const token = generateToken();
    const row = await tx.apiToken.create({
      data: {
        userId,
        name: input.name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, 12),
        scopes: input.scopes?.length ? [...new Set(input.scopes)] : ALL_SCOPES,
        expiresAt: input.expiresAt ?? null,
      },
    });
    return { id: row.id, name: row.name, token, prefix: row.prefix, scopes: row.scopes, expiresAt: row.expiresAt, createdAt: row.createdAt };
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
    return { userId: row.userId, email: row.user.email, tokenId: row.id, scopes: row.scopes };
  }
}
