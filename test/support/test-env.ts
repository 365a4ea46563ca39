import { randomBytes } from 'node:crypto';

/**
 * One test run's isolation: its own database, Redis prefix and secret key, so runs (and the
 * developers' own platform) can share PostgreSQL and Redis without seeing each other.
 */
export interface TestRun {
  databaseUrl: string;
  adminUrl: string;
  databaseName: string;
  redisPrefix: string;
  secretKey: string;
}

export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://berth:berth@127.0.0.1:5432/berth';

export function newTestRun(): TestRun {
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const databaseName = `berth_test_${id}`;
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${databaseName}`;
  return { databaseUrl: url.toString(), adminUrl: ADMIN_DATABASE_URL, databaseName, redisPrefix: `berth_test_${id}`, secretKey: randomBytes(32).toString('hex') };
}
