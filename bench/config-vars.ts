/**
 * node dist/bench/config-vars.js (after `npm run build`) — how long one config change of N vars
 * takes, config and release written together, N from 1 to 499 (CONFIG_MAX_VARS is 500):
 *
 *   berth      ConfigVarsService.patch as PATCH .../config runs it: one DELETE for the unset
 *              keys, one INSERT … ON CONFLICT for the set ones, and the release, in one
 *              transaction
 *   baseline   what it replaced: one upsert per var in the transaction (with its 5 s limit
 *              raised so it gives a figure instead of failing), then the release in a second one
 *
 * Each cell is the median of --runs runs (default 5) of setting N new vars on an environment
 * that has a release, measured in this process against a database of its own. Prints a table
 * and writes bench/results/config-vars.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { ConfigVarsService } from '@berth/tenant-apps';
import { SecretBox } from '@berth/common';
import { parseConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { ReleasesService } from '@berth/releases';
import { rootModuleFor } from '../apps/berth/src/bootstrap';
import { isolatedCluster } from '../test/support/runtime';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 5);
const SIZES = [1, 100, 300, 499];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const secretKey = randomBytes(32).toString('hex');
  const suffix = randomBytes(3).toString('hex');
  const adminUrl = parseConfig({ ...process.env, BERTH_SECRET_KEY: secretKey }).database.url;
  const cluster = await isolatedCluster({ adminUrl, databaseName: `berth_bench_${suffix}`, redisPrefix: `berth_bench_${suffix}` });
  const config = parseConfig({ ...process.env, ...cluster.env, BERTH_ENV_FILE: 'none', BERTH_SECRET_KEY: secretKey, LOG_LEVEL: 'warn' });
  const context = await NestFactory.createApplicationContext(rootModuleFor(config, ['api']), { logger: ['error', 'warn'] });
  await context.init();
  const db = context.get(PrismaService);
  const configVars = context.get(ConfigVarsService);
  const releases = context.get(ReleasesService);
  const box = context.get(SecretBox);
  try {
    const user = await db.user.create({ data: { email: `bench-${suffix}@example.com`, passwordHash: 'x' } });
    const team = await db.team.create({ data: { name: `bench-${suffix}`, memberships: { create: { userId: user.id, role: 'owner' } } } });
    let count = 0;
    /** A new app with one released image, as after its first build. */
    const released = async () => {
      const app = await db.app.create({ data: { name: `bench-${suffix}-${count++}`, teamId: team.id, environments: { create: { name: 'production', kind: 'production', branch: 'main' } } }, include: { environments: true } });
      const environment = app.environments[0];
      const commitSha = randomBytes(20).toString('hex');
      const build = await db.build.create({ data: { appId: app.id, environmentId: environment.id, commitSha, branch: 'main', status: 'succeeded' } });
      const image = await db.image.create({ data: { appId: app.id, buildId: build.id, digest: `sha256:${randomBytes(32).toString('hex')}`, tag: 'localhost/none:1', sizeBytes: BigInt(0), commitSha, processTypes: { web: 'x' } } });
      await releases.deployImage({ environmentId: environment.id, imageId: image.id, createdById: null });
      return { app, environment };
    };
    const vars = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`VAR_${i}`, `value-${i}-${randomBytes(8).toString('hex')}`]));

    const berth = async (n: number) => {
      const { app } = await released();
      const body = vars(n);
      const start = performance.now();
      await configVars.patch(user.id, app.name, 'production', body);
      return performance.now() - start;
    };
    const baseline = async (n: number) => {
      const { app, environment } = await released();
      const body = vars(n);
      const start = performance.now();
      await db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT id FROM "Environment" WHERE id = ${environment.id}::uuid FOR UPDATE`;
          for (const [key, value] of Object.entries(body)) {
            const valueEncrypted = box.seal(value);
            await tx.configVar.upsert({ where: { environmentId_key: { environmentId: environment.id, key } }, create: { environmentId: environment.id, key, valueEncrypted }, update: { valueEncrypted } });
          }
          return configVars.read(environment.id, tx);
        },
        { timeout: 120_000 },
      );
      const change = { appId: app.id, environmentId: environment.id, userId: user.id, changed: Object.keys(body), removed: [] };
      const release = await db.$transaction(async (tx) => releases.releaseConfigChange(tx, change, await configVars.read(environment.id, tx)));
      await release?.afterCommit();
      return performance.now() - start;
    };

    const rows: { vars: number; berthMs: number; baselineMs: number }[] = [];
    await berth(10); // warm up both paths (Prisma's first queries, the crypto)
    await baseline(10);
    for (const n of SIZES) {
      const ours: number[] = [];
      const theirs: number[] = [];
      // Alternating, so load on the shared machine falls on both alike.
      for (let run = 0; run < RUNS; run++) {
        ours.push(await berth(n));
        theirs.push(await baseline(n));
      }
      rows.push({ vars: n, berthMs: Math.round(median(ours)), baselineMs: Math.round(median(theirs)) });
    }

    const table = [['vars', 'berth (ms)', 'baseline (ms)', 'speed-up'], ...rows.map((r) => [String(r.vars), String(r.berthMs), String(r.baselineMs), `${(r.baselineMs / Math.max(1, r.berthMs)).toFixed(1)}×`])];
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    console.log(`One config change of N new vars plus its release; median of ${RUNS} runs.`);
    for (const row of table) console.log(row.map((cell, i) => cell.padStart(widths[i])).join('  '));
    const dir = join(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config-vars.json'), JSON.stringify({ runs: RUNS, rows }, null, 2) + '\n');
  } finally {
    await context.close();
    await cluster.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
