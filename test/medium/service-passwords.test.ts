import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { Client } from 'pg';

/**
 * PostgreSQL and Redis as `npm run setup` leaves them: each asks for the machine's password
 * (written into .env, where the platform and this run found it) and answers on loopback only.
 * A process on the machine that does not know the passwords gets nothing, even with the
 * password Berth used to document (berth:berth).
 */
describe('the services Berth runs on', () => {
  const redisUrl = new URL(process.env.REDIS_URL!);
  const adminUrl = new URL(process.env.BERTH_TEST_ADMIN_URL!);
  const withoutPassword = (url: URL) => Object.assign(new URL(url), { password: '' }).toString();

  it('has passwords in the URLs setup wrote', () => {
    expect(redisUrl.password).not.toBe('');
    expect(adminUrl.password).not.toBe('');
    expect(adminUrl.password).not.toBe('berth');
  });

  it('Redis refuses a client without the password', async () => {
    const anonymous = new Redis(withoutPassword(redisUrl), { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    anonymous.on('error', () => undefined); // the refusal, also reported as an event
    try {
      await expect(anonymous.get('berth:routes')).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
    const cli = execFileSync('redis-cli', ['-h', redisUrl.hostname, '-p', redisUrl.port || '6379', 'ping'], { env: { PATH: process.env.PATH } }).toString();
    expect(cli).toMatch(/NOAUTH/);
  });

  it('Redis answers with the password, on loopback only, in protected mode', async () => {
    const redis = new Redis(redisUrl.toString(), { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      expect(await redis.ping()).toBe('PONG');
      const [, bind] = (await redis.config('GET', 'bind')) as string[];
      expect(bind.split(/\s+/).filter(Boolean).every((address) => ['127.0.0.1', '::1', '-::1'].includes(address))).toBe(true);
      expect(await redis.config('GET', 'protected-mode')).toEqual(['protected-mode', 'yes']);
    } finally {
      await redis.quit();
    }
  });

  it('PostgreSQL refuses the old default password berth:berth, and no password at all', async () => {
    for (const password of ['berth', '']) {
      const client = new Client({ host: adminUrl.hostname, port: Number(adminUrl.port || 5432), user: decodeURIComponent(adminUrl.username), password, database: adminUrl.pathname.slice(1) });
      client.on('error', () => undefined);
      const outcome = await client.connect().then(() => 'logged in', (error: Error) => error.message);
      if (outcome === 'logged in') await client.end();
      expect(outcome).toMatch(/password/);
    }
  });

  it('PostgreSQL answers with the password, on loopback only', async () => {
    const client = new Client({ connectionString: adminUrl.toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ listen_addresses: string }>('SHOW listen_addresses');
      const addresses = rows[0].listen_addresses.split(',').map((address) => address.trim());
      expect(addresses.every((address) => ['localhost', '127.0.0.1', '::1'].includes(address))).toBe(true);
    } finally {
      await client.end();
    }
  });
});
