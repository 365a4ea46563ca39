import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, generateToken, hashPassword, hashToken, verifyPassword } from './crypto';

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored).toMatch(/^scrypt\$/);
    expect(stored).not.toContain('correct horse');
    await expect(verifyPassword('correct horse', stored)).resolves.toBe(true);
    await expect(verifyPassword('wrong horse', stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toEqual(await hashPassword('same'));
  });
});

describe('tokens', () => {
  it('are random and hashed deterministically', () => {
    const a = generateToken();
    expect(a).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toEqual(a);
    expect(hashToken(a)).toEqual(hashToken(a));
    expect(hashToken(a)).not.toContain(a);
  });
});

describe('secrets at rest', () => {
  const key = randomBytes(32);

  it('round-trips and never stores the plain text', () => {
    const sealed = encryptSecret(key, 'postgres://user:hunter2@db');
    expect(sealed).not.toContain('hunter2');
    expect(decryptSecret(key, sealed)).toBe('postgres://user:hunter2@db');
  });

  it('refuses a tampered value or the wrong key', () => {
    const sealed = encryptSecret(key, 'value');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => decryptSecret(key, `v1:${raw.toString('base64')}`)).toThrow();
    expect(() => decryptSecret(randomBytes(32), sealed)).toThrow();
  });
});
