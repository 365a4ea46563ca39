import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { BerthConfig, type RateLimit } from '@berth/config';
import { RateLimitedError } from '@berth/common';
import { WindowCounters } from '@berth/redis';

/**
 * The key a client address is counted under. IPv4 as is; IPv6 by its /64, which one client
 * (a home or a VM) usually holds whole and can hop within at will.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail] = ip.toLowerCase().split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}

/** Emails are counted by a digest, so Redis holds no address book. */
const accountKey = (email: string) => createHash('sha256').update(email).digest('hex').slice(0, 32);

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Rate limits on login and sign-up (config `authLimits`). Each attempt is counted before the
 * password is checked, so parallel guesses cannot slip through between a check and a count.
 */
@Injectable()
export class AuthLimits {
  constructor(
    private readonly counters: WindowCounters,
    private readonly config: BerthConfig,
  ) {}

  /** Counts a login attempt for the address and the account; 429 once either is over its limit. */
  async loginAttempt(address: string | undefined, email: string): Promise<void> {
    const limits = this.config.authLimits;
    await this.count(`login-address:${addressKey(address)}`, limits.loginAttemptsPerAddress, (wait) => `Too many login attempts from your address. Wait ${wait} s and try again.`);
    // Counted as a failure until the password proves right (loginSucceeded forgets it).
    await this.count(`login-account:${accountKey(email)}`, limits.loginFailuresPerAccount, (wait) => `Too many failed logins for this account. Wait ${wait} s and try again.`);
  }

  /** The right password: the account's failures are forgotten. */
  async loginSucceeded(email: string): Promise<void> {
    await this.counters.clear(`login-account:${accountKey(email)}`);
  }

  async signupAttempt(address: string | undefined): Promise<void> {
    await this.count(`signup-address:${addressKey(address)}`, this.config.authLimits.signupsPerAddress, (wait) => `Too many sign-ups from your address. Wait ${wait} s and try again.`);
  }

  private async count(key: string, limit: RateLimit, message: (waitSeconds: number) => string): Promise<void> {
    const { count, resetInMs } = await this.counters.hit(key, limit.windowMs);
    if (count > limit.max) throw new RateLimitedError(message(seconds(resetInMs)), seconds(resetInMs));
  }
}
