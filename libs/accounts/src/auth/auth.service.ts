import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock, conflict, hashPassword, slugify, unauthorized, verifyPassword } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { ALL_SCOPES } from '../tokens/scopes';
import { TokensService } from '../tokens/tokens.service';
import { TeamsService } from '../teams/teams.service';
import { AuthLimits } from './auth-limits';
import { assertStrongPassword } from './password-strength';

const DAY_MS = 86_400_000;
// Compared against when the email is unknown, so a login takes as long either way.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Sign-up (a user, their personal team and a first token, together) and login, both rate limited. */
@Injectable()
export class AuthService {
  constructor(
    private readonly db: PrismaService,
    private readonly tokens: TokensService,
    private readonly teams: TeamsService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly limits: AuthLimits,
  ) {}

  private sessionExpiry(): Date {
    return new Date(this.clock.now().getTime() + this.config.api.sessionTokenDays * DAY_MS);
  }

  /** `address`: the client's, as Express resolves it (X-Forwarded-For only from a trusted proxy). */
  async signup(emailInput: string, password: string, address: string | undefined) {
    await this.limits.signupAttempt(address);
    const email = emailInput.trim().toLowerCase();
    assertStrongPassword(password, [email]);
    const passwordHash = await hashPassword(password);
    try {
      return await this.db.$transaction(async (tx) => {
        if (await tx.user.findUnique({ where: { email } })) throw conflict('email_taken', `An account for ${email} already exists. Log in instead.`);
        const user = await tx.user.create({ data: { email, passwordHash } });
        const team = await this.teams.createPersonalTeam(tx, user.id, slugify(email.split('@')[0]));
        const token = await this.tokens.create(user.id, { name: 'signup', scopes: ALL_SCOPES, expiresAt: this.sessionExpiry(), session: true }, tx);
        return { token: token.token, user: { id: user.id, email: user.email, createdAt: user.createdAt }, team: { id: team.id, name: team.name } };
      });
    } catch (error) {
      // Two sign-ups racing for one email: the unique index decides.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw conflict('email_taken', `An account for ${email} already exists. Log in instead.`);
      }
      throw error;
    }
  }

  async login(emailInput: string, password: string, address: string | undefined) {
    const email = emailInput.trim().toLowerCase();
    await this.limits.loginAttempt(address, email);
    const user = await this.db.user.findUnique({ where: { email } });
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw unauthorized('invalid_credentials', 'The email or password is wrong. Check them, or sign up if you have no account.');
    await this.limits.loginSucceeded(email);
    const token = await this.tokens.create(user.id, { name: 'login', scopes: ALL_SCOPES, expiresAt: this.sessionExpiry(), session: true });
    return { token: token.token, expiresAt: token.expiresAt, user: { id: user.id, email: user.email } };
  }

  /** The caller, their teams, and whether they operate this installation (may manage hosts). */
  async me(userId: string) {
    const user = await this.db.user.findUniqueOrThrow({
      where: { id: userId },
      select: { id: true, email: true, createdAt: true, memberships: { select: { role: true, team: { select: { id: true, name: true, personal: true } } } } },
    });
    return { ...user, operator: this.config.scheduler.operatorEmails.includes(user.email.toLowerCase()) };
  }
}
