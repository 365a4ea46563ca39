/**
 * npm run bench:logs — how fast runtime log lines go into PostgreSQL and how fast the newest
 * lines of one environment come back once history is large. Prints a table and writes
 * bench/results/logs.json.
 *
 *   node dist/bench/logs.js [--lines 1000000] [--hosts 4] [--instances 100] [--batch 2000] [--out bench/results/logs.json]
 *
 * Ingest: `--hosts` writers (one per agent) each store batches of `--batch` lines from their
 * share of `--instances` instances, as LogStore.append does (one INSERT … unnest per batch, the
 * append lock, the (environmentId, id), (environmentId, time) and BRIN(time) indexes), until `--lines` lines are in;
 * one in ten environments' worth goes to the environment that is queried afterwards, so it
 * holds about `--lines` ÷ 10, the rest spread over 99 others. Two baselines store the same
 * batches: a copy of the table with a pg_trgm GIN index on the text (what an indexed `q`
 * search would cost every insert), and a plain table with only its primary key and no append
 * lock. Reads on Berth's table: the last 1,000 lines of the big environment (as the API reads
 * them), the same filtered to one instance, a text search that matches a few lines (a scan of the
 * environment's lines), and one live-tail poll; 20 times each (median, p90).
 * Then the scale part (`--scale-lines`, 10 M by default, 0 skips it): see atScale.
 * It runs in a database of its own, dropped at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { BerthConfig } from '@berth/config';
import { Prisma, PrismaService } from '@berth/db';
import { LogStore, NewLogLine } from '@berth/logs';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const outArg = process.argv.indexOf('--out');
const OUT = resolve(outArg > 0 ? process.argv[outArg + 1] : 'bench/results/logs.json');
const LINES = arg('lines', 1_000_000);
const HOSTS = arg('hosts', 4);
const INSTANCES = arg('instances', 100);
const BATCH = arg('batch', 2000);
/** Lines of the second part: history at scale, bulk-inserted (0 skips it). */
const SCALE_LINES = arg('scale-lines', 10_000_000);
const SCALE_ENVIRONMENTS = 100;
const ROOT = [join(__dirname, '..'), join(__dirname, '..', '..'), process.cwd()].find((dir) => existsSync(join(dir, 'scripts', 'db-migrate.mjs')))!;

const WORDS = ['GET', 'POST', '/orders', '/users/42', 'status=200', 'status=500', 'took', 'ms', 'cache', 'miss', 'hit', 'user', 'checkout', 'payment', 'queued', 'job'];
const sentence = (i: number) => Array.from({ length: 8 }, (_, k) => WORDS[(i * 7 + k * 13) % WORDS.length]).join(' ') + ` #${i}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgresql://berth:berth@127.0.0.1:5432/berth';
  const name = `berth_bench_logs_${randomBytes(3).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const db = new PrismaService({ database: { url: url.toString(), poolSize: HOSTS + 2 } } as unknown as BerthConfig);
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'db-migrate.mjs'), 'deploy'], { env: { ...process.env, DATABASE_URL: url.toString() }, stdio: 'pipe' });
    await db.$executeRawUnsafe(`CREATE TABLE "LogLinePlain" (LIKE "LogLine" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await db.$executeRawUnsafe(`ALTER TABLE "LogLinePlain" ADD PRIMARY KEY (id)`);
    await db.$executeRawUnsafe(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await db.$executeRawUnsafe(`CREATE TABLE "LogLineTrgm" (LIKE "LogLine" INCLUDING ALL)`);
    await db.$executeRawUnsafe(`CREATE INDEX ON "LogLineTrgm" USING GIN (text gin_trgm_ops)`);
    const store = new LogStore(db);
    const environments = Array.from({ length: 100 }, () => randomUUID());
    const big = environments[0];
    const perInstanceEnv = (instance: number) => (instance % 10 === 0 ? big : environments[1 + (instance % 99)]);
    const started = Date.now();
    const batchOf = (host: number, n: number, offset: number): NewLogLine[] =>
      Array.from({ length: n }, (_, k) => {
        const i = offset + k;
        const instance = host + HOSTS * (i % Math.ceil(INSTANCES / HOSTS));
        return { environmentId: perInstanceEnv(instance), time: new Date(started + i), source: 'app', processType: 'web', instance: `web.${instance}`, release: 1, stream: 'stdout', text: sentence(i) };
      });

    const copyAppend = (table: string) => (lines: NewLogLine[]) => {
      const col = <T>(pick: (l: NewLogLine) => T) => lines.map(pick);
      return db.$executeRaw`INSERT INTO ${Prisma.raw(`"${table}"`)} ("environmentId", time, source, "processType", instance, release, stream, text)
        SELECT * FROM unnest(${col((l) => l.environmentId)}::uuid[], ${col((l) => l.time.toISOString())}::timestamptz[], ${col((l) => l.source)}::text[],
          ${col((l) => l.processType ?? null)}::text[], ${col((l) => l.instance ?? null)}::text[], ${col((l) => l.release ?? null)}::int[],
          ${col((l) => l.stream ?? null)}::text[], ${col((l) => l.text)}::text[])`;
    };
    const ingest = async (lines: number, append: (batch: NewLogLine[]) => Promise<unknown>) => {
      const perHost = Math.ceil(lines / HOSTS / BATCH);
      const t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: HOSTS }, async (_, host) => {
          for (let b = 0; b < perHost; b++) await append(batchOf(host, BATCH, (host * perHost + b) * BATCH));
        }),
      );
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      return { lines: perHost * BATCH * HOSTS, seconds, perSecond: Math.round((perHost * BATCH * HOSTS) / seconds) };
    };
    // Warm both paths, then a baseline sample and Berth's store, alternating twice on equal shares.
    const sample = Math.min(100_000, LINES / 10);
    const plain = [await ingest(sample, copyAppend('LogLinePlain'))];
    const trigram = [await ingest(sample, copyAppend('LogLineTrgm'))];
    const berth = [await ingest(sample, (batch) => store.append(batch))];
    plain.push(await ingest(sample, copyAppend('LogLinePlain')));
    trigram.push(await ingest(sample, copyAppend('LogLineTrgm')));
    berth.push(await ingest(sample, (batch) => store.append(batch)));
    // Then the rest of the history, into Berth's table only (its rate as the table grows is reported too).
    const fill = await ingest(LINES - 2 * sample, (batch) => store.append(batch));
    const total = (await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "LogLine"`))[0].n;
    const bigCount = (await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "LogLine" WHERE "environmentId" = '${big}'`))[0].n;
    await db.$executeRawUnsafe('ANALYZE "LogLine"');

    const time = async (what: () => Promise<unknown>) => {
      const ms: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = process.hrtime.bigint();
        await what();
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return { medianMs: Math.round(median(ms) * 10) / 10, p90Ms: Math.round(p90(ms) * 10) / 10 };
    };
    const reads = {
      tail1000: await time(() => store.tail(big, {}, 1000)),
      tail1000OneInstance: await time(() => store.tail(big, { instance: 'web.10' }, 1000)),
      searchRare: await time(() => store.tail(big, { q: `#${Math.floor(LINES * 0.7)}` }, 100)),
      follow: await time(() => store.after(big, {}, BigInt(total) - 5000n, 2000)),
    };
    const size = (await db.$queryRawUnsafe<{ table: string; indexes: string }[]>(
      `SELECT pg_size_pretty(pg_table_size('"LogLine"')) AS table, pg_size_pretty(pg_indexes_size('"LogLine"')) AS indexes`,
    ))[0];

    const scale = SCALE_LINES > 0 ? await atScale(db, store, time) : null;

    const best = (runs: { perSecond: number }[]) => Math.max(...runs.map((r) => r.perSecond));
    const result = {
      date: new Date().toISOString(),
      machine: '2-core development machine, shared',
      lines: Number(total),
      linesInQueriedEnvironment: Number(bigCount),
      hosts: HOSTS,
      instances: INSTANCES,
      batch: BATCH,
      ingest: { berthLinesPerSecond: best(berth), withTrigramIndexLinesPerSecond: best(trigram), plainTableLinesPerSecond: best(plain), fillLinesPerSecond: fill.perSecond, runs: { berth, trigram, plain, fill } },
      reads,
      size,
      scale,
    };
    console.log(`\n${result.lines.toLocaleString()} lines stored (${result.linesInQueriedEnvironment.toLocaleString()} in the queried environment); table ${size.table}, indexes ${size.indexes}\n`);
    console.log(`| ingest (${HOSTS} writers, ${INSTANCES} instances, batches of ${BATCH}; 2 runs of ${sample.toLocaleString()} lines each, alternating) | lines/s (best run) |`);
    console.log('| --- | ---: |');
    console.log(`| Berth (LogStore.append: append lock, (environmentId, id), (environmentId, time) and BRIN(time) indexes) | ${best(berth).toLocaleString()} |`);
    console.log(`| the same table plus a pg_trgm GIN index on text | ${best(trigram).toLocaleString()} |`);
    console.log(`| a plain table (primary key only, no lock) | ${best(plain).toLocaleString()} |`);
    console.log(`| Berth, filling the rest of the history (${fill.lines.toLocaleString()} lines) | ${fill.perSecond.toLocaleString()} |`);
    console.log(`\n| read, environment of ${result.linesInQueriedEnvironment.toLocaleString()} lines among ${result.lines.toLocaleString()} (20 times) | median | p90 |`);
    console.log('| --- | ---: | ---: |');
    for (const [what, r] of Object.entries(reads)) console.log(`| ${what} | ${r.medianMs} ms | ${r.p90Ms} ms |`);
    if (scale) {
      console.log(`\n| read, ${scale.linesInQueriedEnvironment.toLocaleString()} lines of one environment among ${scale.lines.toLocaleString()} over 7 days (20 times) | without (environmentId, time) | with it |`);
      console.log('| --- | ---: | ---: |');
      for (const what of Object.keys(scale.before) as (keyof typeof scale.before)[]) {
        console.log(`| ${what} | ${scale.before[what].medianMs} ms (p90 ${scale.before[what].p90Ms}) | ${scale.after[what].medianMs} ms (p90 ${scale.after[what].p90Ms}) |`);
      }
      console.log(`\nbulk insert with Berth's indexes built after ${scale.insertSeconds} s; (environmentId, time) index built in ${scale.indexSeconds} s, ${scale.indexSize}; table ${scale.size.table}, indexes ${scale.size.indexes}`);
    }
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${OUT}`);
  } finally {
    await db.$disconnect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

type Timer = (what: () => Promise<unknown>) => Promise<{ medianMs: number; p90Ms: number }>;

/**
 * History at scale: SCALE_LINES lines over the last 7 days, bulk-inserted with generate_series
 * (not through LogStore: this part is about reads), spread evenly over 100 environments (each
 * at the default LOGS_MAX_LINES_PER_ENV when SCALE_LINES is 10 M). Every 500th line of an
 * environment says "payment declined". Reads on one environment: its newest 1,000 lines, and
 * text searches over its last 24 hours (a few matches, none) and over all of it; before and
 * after an (environmentId, time) index.
 */
async function atScale(db: PrismaService, store: LogStore, time: Timer) {
  await db.$executeRawUnsafe('TRUNCATE "LogLine"');
  // A throw-away database: no WAL, and the indexes are built once after the rows are in (far
  // faster than keeping them up to date row by row); they end up the same as Berth's.
  await db.$executeRawUnsafe('ALTER TABLE "LogLine" SET UNLOGGED');
  await db.$executeRawUnsafe('ALTER TABLE "LogLine" DROP CONSTRAINT "LogLine_pkey"');
  await db.$executeRawUnsafe('DROP INDEX "LogLine_environmentId_id_idx"');
  await db.$executeRawUnsafe('DROP INDEX "LogLine_time_brin_idx"');
  // Measured without it first, then with it (the migration log_line_environment_time adds it).
  await db.$executeRawUnsafe('DROP INDEX "LogLine_environmentId_time_idx"');
  const environments = Array.from({ length: SCALE_ENVIRONMENTS }, () => randomUUID());
  const now = Date.now();
  const span = 7 * 24 * 3600 * 1000;
  const chunk = 1_000_000;
  const t0 = process.hrtime.bigint();
  for (let from = 1; from <= SCALE_LINES; from += chunk) {
    const to = Math.min(SCALE_LINES, from + chunk - 1);
    // Line i: environment i % 100, i·(7 days ÷ lines) after 7 days ago, ids in time order.
    await db.$executeRawUnsafe(`
      INSERT INTO "LogLine" ("environmentId", time, source, "processType", instance, release, stream, text)
      SELECT (ARRAY[${environments.map((e) => `'${e}'`).join(',')}]::uuid[])[i % ${SCALE_ENVIRONMENTS} + 1],
        to_timestamp(${(now - span) / 1000} + i * ${span / 1000 / SCALE_LINES}), 'app', 'web', 'web.' || (i / ${SCALE_ENVIRONMENTS}) % 4 + 1, 1, 'stdout',
        'GET /orders/' || (i % 9973) || ' status=200 took ' || (i % 997) || 'ms user=' || (i % 10007)
          || CASE WHEN (i / ${SCALE_ENVIRONMENTS}) % 500 = 3 THEN ' payment declined' ELSE ' cache hit' END || ' #' || i
      FROM generate_series(${from}, ${to}) AS i`);
    process.stdout.write(`\rscale: ${to.toLocaleString()} of ${SCALE_LINES.toLocaleString()} lines`);
  }
  process.stdout.write('\n');
  await db.$executeRawUnsafe('ALTER TABLE "LogLine" ADD CONSTRAINT "LogLine_pkey" PRIMARY KEY (id)');
  await db.$executeRawUnsafe('CREATE INDEX "LogLine_environmentId_id_idx" ON "LogLine" ("environmentId", id)');
  await db.$executeRawUnsafe('CREATE INDEX "LogLine_time_brin_idx" ON "LogLine" USING BRIN (time)');
  const insertSeconds = Math.round(Number(process.hrtime.bigint() - t0) / 1e8) / 10;
  await db.$executeRawUnsafe('VACUUM ANALYZE "LogLine"');
  const env = environments[0];
  const dayAgo = new Date(now - 24 * 3600 * 1000);
  const reads = async () => ({
    tail1000: await time(() => store.tail(env, {}, 1000)),
    search24hFewMatches: await time(() => store.tail(env, { since: dayAgo, q: 'declined' }, 1000)),
    search24hNoMatch: await time(() => store.tail(env, { since: dayAgo, q: 'no such text' }, 1000)),
    search7dFewMatches: await time(() => store.tail(env, { q: 'declined' }, 1000)),
  });
  const before = await reads();
  const t1 = process.hrtime.bigint();
  await db.$executeRawUnsafe('CREATE INDEX "LogLine_environmentId_time_idx" ON "LogLine" ("environmentId", time)');
  const indexSeconds = Math.round(Number(process.hrtime.bigint() - t1) / 1e8) / 10;
  await db.$executeRawUnsafe('ANALYZE "LogLine"');
  const after = await reads();
  const [{ n }] = await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "LogLine" WHERE "environmentId" = '${env}'`);
  const [size] = await db.$queryRawUnsafe<{ table: string; indexes: string; index: string }[]>(
    `SELECT pg_size_pretty(pg_table_size('"LogLine"')) AS table, pg_size_pretty(pg_indexes_size('"LogLine"')) AS indexes, pg_size_pretty(pg_relation_size('"LogLine_environmentId_time_idx"')) AS index`,
  );
  return { lines: SCALE_LINES, linesInQueriedEnvironment: Number(n), insertSeconds, indexSeconds, indexSize: size.index, size: { table: size.table, indexes: size.indexes }, before, after };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
