import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { agentEnv, mapAgent } from './sections/agent';
import { apiEnv, mapApi } from './sections/api';
import { authLimitsEnv, mapAuthLimits } from './sections/auth-limits';
import { buildsEnv, mapBuilds } from './sections/builds';
import { coreEnv, mapCore } from './sections/core';
import { databaseEnv, mapDatabase } from './sections/database';
import { engineEnv, mapEngine } from './sections/engine';
import { formationEnv, mapFormation } from './sections/formation';
import { gitEnv, mapGit } from './sections/git';
import { logsEnv, mapLogs } from './sections/logs';
import { mapPlacement, placementEnv } from './sections/placement';
import { mapRedis, redisEnv } from './sections/redis';
import { mapRouter, routerEnv } from './sections/router';
import { mapScheduler, schedulerEnv } from './sections/scheduler';
import { mapSleep, sleepEnv } from './sections/sleep';

/**
 * Every environment variable Berth reads, declared once. Each section lives in ./sections;
 * the README lists them all. Nothing outside this library reads process.env.
 */
const schema = z.object({
  ...coreEnv.shape,
  ...databaseEnv.shape,
  ...redisEnv.shape,
  ...apiEnv.shape,
  ...authLimitsEnv.shape,
  ...routerEnv.shape,
  ...engineEnv.shape,
  ...placementEnv.shape,
  ...gitEnv.shape,
  ...buildsEnv.shape,
  ...formationEnv.shape,
  ...schedulerEnv.shape,
  ...agentEnv.shape,
  ...logsEnv.shape,
  ...sleepEnv.shape,
});

export type RawEnv = Record<string, string | undefined>;

function build(e: z.infer<typeof schema>) {
  return {
    ...mapCore(e),
    /**
     * This install's identity on shared engines: every network, image and container an install
     * makes is labelled berth.install=<id>, and it prunes only its own. Defaults to the Redis
     * prefix, which installs sharing a Redis must already keep apart.
     */
    installId: e.BERTH_INSTALL_ID ?? e.BERTH_REDIS_PREFIX,
    database: mapDatabase(e),
    redis: mapRedis(e),
    api: mapApi(e),
    authLimits: mapAuthLimits(e),
    router: mapRouter(e),
    engine: mapEngine(e),
    placement: mapPlacement(e),
    git: mapGit(e),
    builds: mapBuilds(e),
    formation: mapFormation(e),
    scheduler: mapScheduler(e),
    agent: mapAgent(e),
    logs: mapLogs(e),
    sleep: mapSleep(e),
  };
}

export type BerthConfigShape = ReturnType<typeof build>;

/** Thrown when configuration is invalid; its message names every bad variable. */
export class ConfigError extends Error {}

/** Validates a set of environment variables into typed configuration, or throws ConfigError. */
export function parseConfig(raw: RawEnv): BerthConfigShape {
  // Empty strings mean "not set", as in most shells' `FOO= cmd`.
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(configuration)';
      const value = cleaned[String(issue.path[0])];
      const shown = value === undefined ? '' : name === 'BERTH_SECRET_KEY' || /PASSWORD|SECRET|TOKEN/.test(name) ? ' (value hidden)' : ` (got "${value}")`;
      return `  ${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee "Configuration" in README.md.`);
  }
  return build(result.data);
}

/**
 * Fills unset variables of the process environment from the .env file (BERTH_ENV_FILE, relative
 * to the working directory; `none` skips it). Values already set win. scripts/env.mjs does the
 * same for the plain Node scripts (migrations).
 */
export function loadEnvFile(): void {
  const envFile = resolve(process.env.BERTH_ENV_FILE ?? '.env');
  if (process.env.BERTH_ENV_FILE !== 'none' && existsSync(envFile)) process.loadEnvFile(envFile);
}

/** Reads the process environment, with values from the .env file (BERTH_ENV_FILE) filling gaps. */
export function loadConfig(): BerthConfigShape {
  loadEnvFile();
  return parseConfig(process.env);
}
