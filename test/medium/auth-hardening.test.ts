import { dropRedisPrefix, ownRedisPrefix, startPlatform, RunningPlatform } from '../support/platform';
import { TestUser, unique } from '../support/users';

const DAY_MS = 86_400_000;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * Tokens cannot mint stronger tokens, are read only from the Authorization header, and
 * logins and sign-ups are rate limited. Runs with the default limits (the test run raises
 * them for every other file; an empty value means "use the default").
 */
describe('accounts hardening', () => {
  let platform: RunningPlatform;
  beforeAll(
    async () =>
      (platform = await startPlatform(['api'], {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '',
        LOGIN_FAILURE_WINDOW_SECONDS: '',
        LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '',
        LOGIN_ATTEMPT_WINDOW_SECONDS: '',
        SIGNUP_MAX_PER_ADDRESS: '',
        SIGNUP_WINDOW_SECONDS: '',
      })),
  );
  afterAll(async () => platform.close());

  // Each sign-up comes from an address of its own, so the sign-up limit is only met where a test means to.
  let nextAddress = 1;
  const ownAddress = () => `198.18.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;
  const newUser = async (): Promise<TestUser> => {
    const email = `${unique('harden')}@example.com`;
    const password = 'correct horse battery staple';
    const res = await platform.http().post('/api/auth/signup').set('X-Forwarded-For', ownAddress()).send({ email, password }).expect(201);
    return { email, password, token: res.body.token, team: res.body.team.name, auth: bearer(res.body.token) };
  };
  const createToken = (auth: Record<string, string>, body: object) => platform.http().post('/api/tokens').set(auth).send(body);

  describe('no token escalation', () => {
    let user: TestUser;
    let readWrite: Record<string, string>;
    beforeAll(async () => {
      user = await newUser();
      const res = await createToken(user.auth, { name: 'rw', scopes: ['read', 'write'], expiresInDays: 7 }).expect(201);
      readWrite = bearer(res.body.token);
    });

    it('refuses scopes the calling token lacks (403)', async () => {
      const more = await createToken(readWrite, { name: 'more', scopes: ['read', 'write', 'git'], expiresInDays: 1 }).expect(403);
      expect(more.body.code).toBe('scope_escalation');
      expect(more.body.message).toContain('git');
      const other = await createToken(readWrite, { name: 'other', scopes: ['git'], expiresInDays: 1 }).expect(403);
      expect(other.body.code).toBe('scope_escalation');
    });

    it('gives a new token the calling token\'s scopes when none are asked for', async () => {
      const res = await createToken(readWrite, { name: 'same', expiresInDays: 1 }).expect(201);
      expect(res.body.scopes.sort()).toEqual(['read', 'write']);
      const fewer = await createToken(readWrite, { name: 'fewer', scopes: ['read'], expiresInDays: 1 }).expect(201);
      expect(fewer.body.scopes).toEqual(['read']);
    });

    it('refuses an expiry later than the calling token\'s, and no expiry at all (403)', async () => {
      const longer = await createToken(readWrite, { name: 'longer', expiresInDays: 30 }).expect(403);
      expect(longer.body.code).toBe('expiry_escalation');
      expect(longer.body.message).toMatch(/expiresInDays/);
      const forever = await createToken(readWrite, { name: 'forever' }).expect(403);
      expect(forever.body.code).toBe('expiry_escalation');
      // Seven days from now is a moment later than the calling token's own expiry.
      await createToken(readWrite, { name: 'seven', expiresInDays: 7 }).expect(403);
      const shorter = await createToken(readWrite, { name: 'six', expiresInDays: 6 }).expect(201);
      expect(new Date(shorter.body.expiresAt).getTime()).toBeLessThan(Date.now() + 7 * DAY_MS);
    });

    it('lets a token without expiry create tokens of any lifetime', async () => {
      const res = await createToken(user.auth, { name: 'ci', scopes: ['read', 'write'] }).expect(201);
      expect(res.body.expiresAt).toBeNull();
      const forever = bearer(res.body.token);
      await createToken(forever, { name: 'long', expiresInDays: 3650 }).expect(201);
      const again = await createToken(forever, { name: 'forever too' }).expect(201);
      expect(again.body.expiresAt).toBeNull();
    });

    it('lets a login session (which proved the password) create a token that outlives it', async () => {
      const login = await platform.http().post('/api/auth/login').set('X-Forwarded-For', ownAddress()).send({ email: user.email, password: user.password }).expect(200);
      expect(login.body.expiresAt).not.toBeNull();
      const res = await createToken(bearer(login.body.token), { name: 'from the dashboard', scopes: ['git'] }).expect(201);
      expect(res.body.expiresAt).toBeNull();
    });

    it('does not let a token made by a session pass as a session', async () => {
      const res = await createToken(user.auth, { name: 'login', scopes: ['read', 'write'], expiresInDays: 2 }).expect(201);
      const forever = await createToken(bearer(res.body.token), { name: 'forever' }).expect(403);
      expect(forever.body.code).toBe('expiry_escalation');
    });

    it('refuses an empty scope list with 400 naming the scopes', async () => {
      const res = await createToken(user.auth, { name: 'none', scopes: [] }).expect(400);
      expect(res.body.code).toBe('invalid_input');
      expect(res.body.fields.scopes).toMatch(/read, write, git/);
    });
  });

  describe('tokens only in the Authorization header', () => {
    let user: TestUser;
    beforeAll(async () => (user = await newUser()));

    it('ignores ?access_token= in the URL (401)', async () => {
      const res = await platform.http().get(`/api/apps?access_token=${user.token}`).expect(401);
      expect(res.body.code).toBe('token_not_in_header');
      expect(res.body.message).toContain('Authorization: Bearer');
    });

    it('ignores an access_token field in the body (401)', async () => {
      await platform.http().get('/api/apps').send({ access_token: user.token }).expect(401);
      await platform.http().post('/api/apps').send({ access_token: user.token, name: unique('body') }).expect(401);
    });

    it('accepts the header', async () => {
      await platform.http().get('/api/apps').set(user.auth).expect(200);
      await platform.http().get('/api/apps').set('Authorization', `bearer ${user.token}`).expect(200);
    });
  });

  describe('rate limits', () => {
    const login = (address: string, email: string, password: string) =>
      platform.http().post('/api/auth/login').set('X-Forwarded-For', address).send({ email, password });

    it('locks an account after 10 failed logins (429 with Retry-After) without blocking other accounts', async () => {
      const victim = await newUser();
      const other = await newUser();
      const attacker = ownAddress();
      for (let i = 0; i < 10; i++) await login(attacker, victim.email, `wrong password ${i}`).expect(401);
      const locked = await login(attacker, victim.email, 'wrong password 11').expect(429);
      expect(locked.body.code).toBe('rate_limited');
      const retryAfter = Number(locked.headers['retry-after']);
      expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 900).toBe(true);
      expect(locked.body.message).toBe(`Too many failed logins for this account. Wait ${retryAfter} s and try again.`);
      // Even the right password waits, from anywhere: guessing on would otherwise go on.
      await login(ownAddress(), victim.email, victim.password).expect(429);
      // Another account, from another address, logs in.
      await login(ownAddress(), other.email, other.password).expect(200);
    });

    it('forgets an account\'s failures when it logs in', async () => {
      const user = await newUser();
      const address = ownAddress();
      for (let i = 0; i < 9; i++) await login(address, user.email, `wrong ${i}`).expect(401);
      await login(address, user.email, user.password).expect(200);
      for (let i = 0; i < 9; i++) await login(address, user.email, `wrong again ${i}`).expect(401);
      await login(address, user.email, user.password).expect(200);
    });

    it('limits login attempts per address to 30 a minute', async () => {
      const address = ownAddress();
      for (let i = 0; i < 30; i++) await login(address, `nobody-${i}@example.com`, 'whatever1').expect(401);
      const res = await login(address, 'nobody-31@example.com', 'whatever1').expect(429);
      expect(res.body.code).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body.message).toMatch(/^Too many login attempts from your address\. Wait \d+ s and try again\.$/);
    });

    it('limits sign-ups per address to 10 an hour', async () => {
      const address = ownAddress();
      const signup = () => platform.http().post('/api/auth/signup').set('X-Forwarded-For', address).send({ email: `${unique('flood')}@example.com`, password: 'long enough pw' });
      for (let i = 0; i < 10; i++) await signup().expect(201);
      const res = await signup().expect(429);
      expect(res.body.code).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body.message).toMatch(/sign-ups from your address/);
      // Another address still signs up.
      await newUser();
    });
  });

  describe('behind a proxy that is not trusted', () => {
    // Requests come from 127.0.0.1, which this platform does not trust to name the client:
    // a made-up X-Forwarded-For must not earn a fresh allowance. Its own Redis prefix, so the
    // rest of the run's requests from 127.0.0.1 do not count here.
    const prefix = ownRedisPrefix('xff');
    let untrusting: RunningPlatform;
    beforeAll(async () => (untrusting = await startPlatform(['api'], { BERTH_TRUST_PROXY: '192.0.2.1', BERTH_REDIS_PREFIX: prefix, SIGNUP_MAX_PER_ADDRESS: '' })));
    afterAll(async () => {
      await untrusting?.close();
      await dropRedisPrefix(prefix);
    });

    it('counts the peer, not X-Forwarded-For', async () => {
      const signup = (i: number) =>
        untrusting.http().post('/api/auth/signup').set('X-Forwarded-For', `203.0.113.${i}`).send({ email: `${unique('spoof')}@example.com`, password: 'long enough pw' });
      for (let i = 1; i <= 10; i++) await signup(i).expect(201);
      const res = await signup(11).expect(429);
      expect(res.body.code).toBe('rate_limited');
    });
  });
});
