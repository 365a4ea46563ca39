import { redisProblem } from './redis.service';

describe('redisProblem', () => {
  it('says a refused password is about REDIS_URL and setup', () => {
    const message = redisProblem(new Error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used'));
    expect(message).toMatch(/^Redis refused Berth's password \(NOAUTH HELLO must be called with the client already authenticated\)/);
    expect(message).toContain('npm run setup');
    expect(redisProblem(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toMatch(/refused Berth's password/);
  });

  it('says an unreachable server is not running where REDIS_URL points', () => {
    expect(redisProblem(new Error('connect ECONNREFUSED 127.0.0.1:6390'))).toBe(
      'cannot reach Redis: connect ECONNREFUSED 127.0.0.1:6390. Is it running at the address in REDIS_URL? npm run setup starts it.',
    );
  });
});
