import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { newTestRun, serviceUrls } from './test-env';

/**
 * Creates this run's database and applies the migrations once; tests read it from the env.
 * PostgreSQL and Redis are found as `npm start` finds them (environment, then .env).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.BERTH_TEST_DATABASE_NAME) return; // another project of this run made it already
  const run = newTestRun();
  const { redisUrl } = serviceUrls();
  const admin = new Client({ connectionString: run.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${run.databaseName}"`);
  await admin.end();
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'db-migrate.mjs'), 'deploy'], {
    env: { ...process.env, DATABASE_URL: run.databaseUrl },
    stdio: 'pipe',
  });
  Object.assign(process.env, {
    BERTH_ENV_FILE: 'none',
    NODE_ENV: 'test',
    DATABASE_URL: run.databaseUrl,
    REDIS_URL: redisUrl,
    BERTH_TEST_DATABASE_NAME: run.databaseName,
    BERTH_TEST_ADMIN_URL: run.adminUrl,
    BERTH_REDIS_PREFIX: run.redisPrefix,
    BERTH_SECRET_KEY: run.secretKey,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // Every test signs up and logs in from 127.0.0.1: limits per address would stop the run.
    // The per-account limit keeps its default; test/medium/auth-hardening.test.ts runs with all defaults.
    SIGNUP_MAX_PER_ADDRESS: '1000000',
    LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '1000000',
  });
}
