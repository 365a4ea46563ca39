import { PrismaService } from '@berth/db';
import { startPlatform, RunningPlatform } from '../support/platform';
import { signUp, unique } from '../support/users';

describe('accounts: signup, login, tokens', () => {
  let platform: RunningPlatform;
  beforeAll(async () => (platform = await startPlatform()));
  afterAll(async () => platform.close());

  it('signs up with a personal team and a token that works', async () => {
    const email = `${unique('ada')}@Example.com`;
    const res = await platform.http().post('/api/auth/signup').send({ email, password: 'long enough pw' }).expect(201);
    expect(res.body.token).toMatch(/^berth_/);
    expect(res.body.user.email).toBe(email.toLowerCase());
    expect(res.body.user.passwordHash).toBeUndefined();
    const me = await platform.http().get('/api/auth/me').set('Authorization', `Bearer ${res.body.token}`).expect(200);
    expect(me.body.memberships).toEqual([{ role: 'owner', team: expect.objectContaining({ personal: true, name: res.body.team.name }) }]);
  });

  it('stores passwords with a slow hash and tokens only hashed', async () => {
    const user = await signUp(platform);
    const db = platform.app.get(PrismaService);
    const row = await db.user.findUniqueOrThrow({ where: { email: user.email }, include: { tokens: true } });
    expect(row.passwordHash).toMatch(/^scrypt\$32768\$/);
    expect(row.passwordHash).not.toContain(user.password);
    expect(row.tokens.map((t) => t.tokenHash)).not.toContain(user.token);
  });

  it('refuses a second signup with the same email (409) and leaves one user', async () => {
    const user = await signUp(platform);
    const res = await platform.http().post('/api/auth/signup').send({ email: user.email.toUpperCase(), password: 'another password' }).expect(409);
    expect(res.body).toMatchObject({ code: 'email_taken' });
    const db = platform.app.get(PrismaService);
    expect(await db.user.count({ where: { email: user.email } })).toBe(1);
  });

  it('logs in with the right password only', async () => {
    const user = await signUp(platform);
    const ok = await platform.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200);
    expect(ok.body.token).toMatch(/^berth_/);
    const bad = await platform.http().post('/api/auth/login').send({ email: user.email, password: 'wrong password' }).expect(401);
    expect(bad.body.code).toBe('invalid_credentials');
    await platform.http().post('/api/auth/login').send({ email: 'nobody@example.com', password: 'whatever1' }).expect(401);
  });

  it('answers 401 without a token or with a bad one', async () => {
    const none = await platform.http().get('/api/apps').expect(401);
    expect(none.body.code).toBe('missing_token');
    expect(none.headers['www-authenticate']).toMatch(/Bearer/);
    const bad = await platform.http().get('/api/apps').set('Authorization', 'Bearer berth_nope').expect(401);
    expect(bad.body.code).toBe('invalid_token');
  });

  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const user = await signUp(platform);
    const created = await platform.http().post('/api/tokens').set(user.auth).send({ name: 'ci', expiresInDays: 7 }).expect(201);
    expect(created.body.token).toMatch(/^berth_/);
    expect(new Date(created.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6 * 86400_000);
    const ciAuth = { Authorization: `Bearer ${created.body.token}` };
    await platform.http().get('/api/apps').set(ciAuth).expect(200);

    const list = await platform.http().get('/api/tokens').set(user.auth).expect(200);
    const listed = list.body.find((t: { id: string }) => t.id === created.body.id);
    expect(listed).toMatchObject({ name: 'ci', prefix: created.body.token.slice(0, 12) });
    expect(listed.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);

    await platform.http().delete(`/api/tokens/${created.body.id}`).set(user.auth).expect(204);
    await platform.http().get('/api/apps').set(ciAuth).expect(401);
  });

  it('does not let one user revoke another user\'s token', async () => {
    const a = await signUp(platform);
    const b = await signUp(platform);
    const tokens = await platform.http().get('/api/tokens').set(a.auth).expect(200);
    await platform.http().delete(`/api/tokens/${tokens.body[0].id}`).set(b.auth).expect(404);
    await platform.http().get('/api/apps').set(a.auth).expect(200);
    await platform.http().delete('/api/tokens/not-a-uuid').set(b.auth).expect(404);
  });

  it('limits a read-only token to reads', async () => {
    const user = await signUp(platform);
    const created = await platform.http().post('/api/tokens').set(user.auth).send({ name: 'ro', scopes: ['read'] }).expect(201);
    const ro = { Authorization: `Bearer ${created.body.token}` };
    await platform.http().get('/api/apps').set(ro).expect(200);
    const res = await platform.http().post('/api/apps').set(ro).send({ name: unique('ro') }).expect(403);
    expect(res.body.code).toBe('insufficient_scope');
  });

  it('refuses expired tokens', async () => {
    const user = await signUp(platform);
    const created = await platform.http().post('/api/tokens').set(user.auth).send({ name: 'old' }).expect(201);
    await platform.app.get(PrismaService).apiToken.update({ where: { id: created.body.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await platform.http().get('/api/apps').set('Authorization', `Bearer ${created.body.token}`).expect(401);
  });

  describe('password strength', () => {
    it.each(['password', 'qwerty123', 'iloveyou', 'berth2026!', 'Password1!'])('refuses %s with 400 weak_password and creates nothing', async (password) => {
      const email = `${unique('weak')}@example.com`;
      const res = await platform.http().post('/api/auth/signup').send({ email, password }).expect(400);
      expect(res.body.code).toBe('weak_password');
      expect(res.body.message).toMatch(/^This password is too easy to guess/);
      expect(await platform.app.get(PrismaService).user.count({ where: { email } })).toBe(0);
    });

    it('refuses a password made of the email, saying so', async () => {
      const stem = unique('margaret.hamilton');
      const res = await platform.http().post('/api/auth/signup').send({ email: `${stem}@example.com`, password: `${stem}1` }).expect(400);
      expect(res.body.message).toContain('it contains your email address');
    });

    it('accepts a few unrelated words', async () => {
      await platform.http().post('/api/auth/signup').send({ email: `${unique('strong')}@example.com`, password: 'violet anchor pumpkin' }).expect(201);
    });
  });

  describe('bad input', () => {
    it.each([
      [{ email: 'not-an-email', password: 'long enough' }, 'email'],
      [{ email: 'a@example.com', password: 'short' }, 'password'],
      [{ email: 'a@example.com' }, 'password'],
      [{ email: 'a@example.com', password: 'long enough', admin: true }, 'admin'],
      [{ email: `${'a'.repeat(250)}@example.com`, password: 'long enough' }, 'email'],
    ])('signup %j names the field %s', async (body, field) => {
      const res = await platform.http().post('/api/auth/signup').send(body).expect(400);
      expect(res.body.code).toBe('invalid_input');
      expect(res.body.fields).toHaveProperty(field);
    });

    it('answers malformed JSON with 400 invalid_json', async () => {
      const res = await platform.http().post('/api/auth/signup').set('Content-Type', 'application/json').send('{"email": ').expect(400);
      expect(res.body.code).toBe('invalid_json');
    });

    it('answers an oversized body with 413 and creates nothing', async () => {
      const email = `${unique('big')}@example.com`;
      const res = await platform.http().post('/api/auth/signup').send({ email, password: 'x'.repeat(300 * 1024) }).expect(413);
      expect(res.body.code).toBe('payload_too_large');
      expect(await platform.app.get(PrismaService).user.count({ where: { email } })).toBe(0);
    });

    it('refuses token bodies with bad scopes or expiry', async () => {
      const user = await signUp(platform);
      const res = await platform.http().post('/api/tokens').set(user.auth).send({ name: 'x', scopes: ['root'], expiresInDays: 0 }).expect(400);
      expect(Object.keys(res.body.fields).sort()).toEqual(['expiresInDays', 'scopes']);
      await platform.http().post('/api/tokens').set(user.auth).send({ name: '' }).expect(400);
    });
  });
});
