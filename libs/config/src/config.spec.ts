import { ConfigError, parseConfig } from './config';

const KEY = 'ab'.repeat(32);

describe('configuration', () => {
  it('has defaults for everything but the secret key', () => {
    const config = parseConfig({ BERTH_SECRET_KEY: KEY });
    expect(config.roles).toEqual(['api', 'builder', 'scheduler', 'agent', 'router']);
    expect(config.api.port).toBe(3000);
    expect(config.router.port).toBe(8080);
    expect(config.router.domain).toBe('localhost');
    expect(config.api.publicUrl).toBe('http://localhost:3000');
    expect(config.secretKey).toHaveLength(32);
  });

  it('names every bad variable in one message', () => {
    let message = '';
    try {
      parseConfig({ BERTH_SECRET_KEY: 'short', PORT: 'eighty', BERTH_ROLES: 'api,bogus', REDIS_URL: 'http://x' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/BERTH_SECRET_KEY: expected 64 hex characters/);
    expect(message).not.toContain('short'); // secrets are not echoed
    expect(message).toMatch(/PORT: expected a port number \(got "eighty"\)/);
    expect(message).toMatch(/BERTH_ROLES: unknown role bogus/);
    expect(message).toMatch(/REDIS_URL: expected a redis or rediss URL/);
  });

  it('says how to get a secret key when it is missing', () => {
    expect(() => parseConfig({})).toThrow(/BERTH_SECRET_KEY: missing: run `npm run setup`/);
  });

  it('runs a subset of roles', () => {
    expect(parseConfig({ BERTH_SECRET_KEY: KEY, BERTH_ROLES: 'agent' }).roles).toEqual(['agent']);
  });

  it('trusts X-Forwarded-For from loopback unless told which proxies to trust', () => {
    expect(parseConfig({ BERTH_SECRET_KEY: KEY }).api.trustProxy).toEqual(['loopback']);
    expect(parseConfig({ BERTH_SECRET_KEY: KEY, BERTH_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::1' }).api.trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::1']);
    expect(() => parseConfig({ BERTH_SECRET_KEY: KEY, BERTH_TRUST_PROXY: 'everyone' })).toThrow(/BERTH_TRUST_PROXY: expected a comma-separated list/);
    expect(() => parseConfig({ BERTH_SECRET_KEY: KEY, BERTH_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/BERTH_TRUST_PROXY/);
  });

  it('has safe rate limits on login and sign-up by default', () => {
    expect(parseConfig({ BERTH_SECRET_KEY: KEY }).authLimits).toEqual({
      loginFailuresPerAccount: { max: 10, windowMs: 900_000 },
      loginAttemptsPerAddress: { max: 30, windowMs: 60_000 },
      signupsPerAddress: { max: 10, windowMs: 3_600_000 },
    });
    expect(() => parseConfig({ BERTH_SECRET_KEY: KEY, SIGNUP_MAX_PER_ADDRESS: '0' })).toThrow(/SIGNUP_MAX_PER_ADDRESS/);
  });

  it('treats empty values as unset', () => {
    expect(parseConfig({ BERTH_SECRET_KEY: KEY, PORT: '' }).api.port).toBe(3000);
  });
});
