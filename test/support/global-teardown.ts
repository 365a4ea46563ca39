import Redis from 'ioredis';
import { Client } from 'pg';

/** Drops this run's database and Redis keys (set KEEP_TEST_DB=1 to keep them for a post-mortem). */
export default async function globalTeardown(): Promise<void> {
  const name = process.env.BERTH_TEST_DATABASE_NAME;
  if (!name || process.env.KEEP_TEST_DB) return;
  delete process.env.BERTH_TEST_DATABASE_NAME;
  const admin = new Client({ connectionString: process.env.BERTH_TEST_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = process.env.BERTH_REDIS_PREFIX;
  if (prefix?.startsWith('berth_test_')) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  await redis.quit();
}
