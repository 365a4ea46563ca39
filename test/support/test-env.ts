import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
// Relative: Jest loads global setup without the path aliases.
import { parseConfig } from '../../libs/config/src/config';

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

/**
 * The PostgreSQL and Redis the platform itself would use: the environment, else .env as
 * `npm start` reads it (npm run setup writes the machine's passwords there), else the defaults.
 * Only these two come from .env: the rest of a developer's settings stay out of the tests.
 */
export function serviceUrls(): { adminUrl: string; redisUrl: string } {
  const envFile = resolve(process.env.BERTH_ENV_FILE ?? '.env');
  const file = process.env.BERTH_ENV_FILE !== 'none' && existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  const { database, redis } = parseConfig({
    DATABASE_URL: process.env.DATABASE_URL ?? file.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL ?? file.REDIS_URL,
    BERTH_SECRET_KEY: '0'.repeat(64),
  });
  return { adminUrl: process.env.TEST_ADMIN_DATABASE_URL ?? database.url, redisUrl: redis.url };
}

export function newTestRun(): TestRun {
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const databaseName = `berth_test_${id}`;
  const { adminUrl } = serviceUrls();
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return { databaseUrl: url.toString(), adminUrl, databaseName, redisPrefix: `berth_test_${id}`, secretKey: randomBytes(32).toString('hex') };
}
