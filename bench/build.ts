/**
 * npm run bench:build — push-to-image times of `git push` through Berth, cold and warm, measured
 * in one run on this machine. For each fixture app (test/fixtures/apps):
 *
 *   cold         a first push with the layer cache off (BUILD_CACHE=false): every step runs,
 *                Node.js is downloaded; the baseline the other columns compare with
 *   first push   a first push of a new app with the cache on (layers shared between apps, such
 *                as the Node.js download, come from the cache once any app has built them)
 *   warm         a push that changes source only: the dependency layer is reused
 *   reuse        the same commit pushed to another branch: the image is reused, nothing built
 *
 * Then the Next.js app (test/fixtures/apps/next-app) with build caches (npm cache, .next/cache):
 *
 *   cold rebuild  its first push to a new app: the environment's build cache is empty
 *   warm rebuild  a one-line source change pushed next: npm's cache and .next/cache restored
 *
 * Time is from starting `git push` to its exit (the push ends when the image is recorded).
 * Each cell is the median of --runs runs (default 1; the machine is shared and noisy).
 *
 *   node dist/bench/build.js [--runs 3] [--fixtures dockerfile,static,node-npm | none] [--next false]
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { Client } from 'pg';
import { BuildCaches } from '@berth/builds';
import { loadConfig, parseConfig } from '@berth/config';
import { configureHttpApp } from '@berth/core';
import { PrismaService } from '@berth/db';
import { ContainerEngine } from '@berth/engine';
import { rootModuleFor } from '../apps/berth/src/bootstrap';
import { freePort } from '../test/support/platform';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const RUNS = Number(option('runs', '1'));
const FIXTURES = option('fixtures', 'dockerfile,static,node-npm').split(',').filter((name) => name && name !== 'none');
const NEXT = option('next', 'true') !== 'false';

function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'test', 'fixtures', 'apps'))) return dir;
  throw new Error('test/fixtures/apps not found');
}
const ROOT = repoRoot();


interface Platform {
  app: INestApplication;
  url: string;
  token: string;
  close(): Promise<void>;
}

/** Starts api + builder in this process on the bench database and its own Redis prefix. */
async function startPlatform(env: Record<string, string>): Promise<Platform> {
  const port = await freePort();
  // No scheduler runs: a push ends once its release is recorded (GIT_PUSH_DEPLOY_WAIT_SECONDS=0), so the bench times builds.
  const config = parseConfig({ ...process.env, GIT_PUSH_DEPLOY_WAIT_SECONDS: '0', ...env, PORT: String(port), HOST: '127.0.0.1', BERTH_PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' });
  const app = await NestFactory.create(rootModuleFor(config, ['api', 'builder']), { logger: ['error', 'warn'], bodyParser: false });
  configureHttpApp(app);
  await app.listen(port, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const signup = await fetch(`${url}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${randomBytes(4).toString('hex')}@example.com`, password: 'a long bench password' }),
  });
  const { token } = (await signup.json()) as { token: string };
  return { app, url, token, close: () => app.close() };
}

async function createApp(platform: Platform): Promise<string> {
  const name = `bench-${randomBytes(3).toString('hex')}`;
  const res = await fetch(`${platform.url}/api/apps`, { method: 'POST', headers: { authorization: `Bearer ${platform.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  if (res.status !== 201) throw new Error(`creating an app: ${res.status} ${await res.text()}`);
  return name;
}

/** A working copy of a fixture with its own git HOME, committed on main. */
class Copy {
  readonly home = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  readonly dir = join(this.home, 'work');
  private readonly env = { PATH: process.env.PATH, HOME: this.home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@example.com' };

  constructor(fixture: string) {
    cpSync(join(ROOT, 'test', 'fixtures', 'apps', fixture), this.dir, { recursive: true });
    this.git('init', '--quiet', '--initial-branch', 'main');
    this.commit('fixture');
  }

  git(...argv: string[]): string {
    return execFileSync('git', argv, { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  }

  commit(message: string): void {
    this.git('add', '-A');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
  }

  /** Milliseconds from starting `git push` to its exit; throws if the push fails. */
  push(url: string, refspec: string): Promise<number> {
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      execFile('git', ['push', '--quiet', url, refspec], { cwd: this.dir, env: this.env, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
        if (error) return reject(new Error(`git push failed:\n${stderr}`));
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
    });
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A source-only change for each kind of fixture. */
function touchSource(copy: Copy, fixture: string): void {
  if (fixture === 'next-app') {
    writeFileSync(join(copy.dir, 'lib', 'message.js'), `export const message = 'hello from next, ${randomBytes(4).toString('hex')}';\n`);
    copy.commit('one-line source change');
    return;
  }
  const file = fixture.startsWith('node') ? 'version.json' : fixture === 'static' ? 'public/index.html' : 'index.html';
  writeFileSync(join(copy.dir, file), fixture.startsWith('node') ? `{ "version": "${randomBytes(4).toString('hex')}" }\n` : `<h1>${randomBytes(4).toString('hex')}</h1>\n`);
  copy.commit('source change');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const base = loadConfig();
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = `berth_bench_${id}`;
  const admin = new Client({ connectionString: base.database.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(base.database.url);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'db-migrate.mjs'), 'deploy'], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'pipe' });

  const prefixes = [`berth_bench_${id}_cold`, `berth_bench_${id}_warm`];
  // 4096 MB: `next build` (the Next.js app) was killed at the default 2048 MB on a loaded 2-core machine.
  const common = { DATABASE_URL: databaseUrl, BERTH_ENV_FILE: 'none', BERTH_SECRET_KEY: randomBytes(32).toString('hex'), BUILD_MEMORY_MB: '4096' };
  const cold = await startPlatform({ ...common, BERTH_REDIS_PREFIX: prefixes[0], BUILD_CACHE: 'false' });
  const warm = await startPlatform({ ...common, BERTH_REDIS_PREFIX: prefixes[1] });
  const apps: string[] = [];
  const copies: Copy[] = [];
  const cacheKeys: string[] = [];
  let coldClosed = false;
  const results: Record<string, Record<string, number[]>> = {};
  const next = { cold: [] as number[], warm: [] as number[] };
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const fixture of FIXTURES) {
        const row = (results[fixture] ??= { cold: [], first: [], warm: [], reuse: [] });
        const gitUrl = (platform: Platform, app: string) => `${platform.url.replace('http://', `http://git:${platform.token}@`)}/git/${app}.git`;

        const coldApp = await createApp(cold);
        apps.push(coldApp);
        const coldCopy = new Copy(fixture);
        copies.push(coldCopy);
        touchSource(coldCopy, fixture);
        row.cold.push(await coldCopy.push(gitUrl(cold, coldApp), 'main'));

        const app = await createApp(warm);
        apps.push(app);
        const copy = new Copy(fixture);
        copies.push(copy);
        touchSource(copy, fixture);
        row.first.push(await copy.push(gitUrl(warm, app), 'main'));
        touchSource(copy, fixture);
        row.warm.push(await copy.push(gitUrl(warm, app), 'main'));
        row.reuse.push(await copy.push(gitUrl(warm, app), 'main:feature/bench'));
        process.stderr.write(`run ${run + 1}/${RUNS} ${fixture}: cold ${seconds(row.cold.at(-1)!)}, warm ${seconds(row.warm.at(-1)!)}\n`);
      }
    }
    // The cold platform shares the database under another queue prefix: its sweeper would take a
    // long build of the warm one for abandoned (no job in its queue) and stop it. It is done now.
    await cold.close();
    coldClosed = true;
    for (let run = 0; run < RUNS && NEXT; run++) {
      // A new app each run, so its environment's build cache starts empty.
      const gitUrl = `${warm.url.replace('http://', `http://git:${warm.token}@`)}/git/`;
      const app = await createApp(warm);
      apps.push(app);
      const environment = await warm.app.get(PrismaService).environment.findFirst({ where: { app: { name: app } }, select: { id: true } });
      if (environment) cacheKeys.push(warm.app.get(BuildCaches).keyFor(environment.id)!);
      const copy = new Copy('next-app');
      copies.push(copy);
      next.cold.push(await copy.push(`${gitUrl}${app}.git`, 'main'));
      touchSource(copy, 'next-app');
      next.warm.push(await copy.push(`${gitUrl}${app}.git`, 'main'));
      process.stderr.write(`run ${run + 1}/${RUNS} next-app: cold rebuild ${seconds(next.cold.at(-1)!)}, warm rebuild ${seconds(next.warm.at(-1)!)}\n`);
    }
  } finally {
    for (const key of cacheKeys) await warm.app.get(BuildCaches).clear(key).catch(() => undefined);
    const engine = warm.app.get(ContainerEngine);
    for (const app of apps) {
      const images = await engine.api.listImages({ filters: JSON.stringify({ label: [`berth.app=${app}`] }) });
      for (const image of images) await engine.api.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    }
    copies.forEach((copy) => copy.remove());
    if (!coldClosed) await cold.close();
    await warm.close();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(base.redis.url);
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
    }
    await redis.quit();
  }

  console.log(`\ngit push to image, ${RUNS} run${RUNS > 1 ? 's' : ''} (median); cold = layer cache off, the baseline\n`);
  const header = ['fixture', 'cold', 'first push', 'warm (source change)', 'warm / cold', 'reuse (same commit)'];
  const rows = Object.entries(results).map(([fixture, r]) => [
    fixture,
    seconds(median(r.cold)),
    seconds(median(r.first)),
    seconds(median(r.warm)),
    `${((median(r.warm) / median(r.cold)) * 100).toFixed(0)} %`,
    seconds(median(r.reuse)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((row) => console.log(line(row)));

  if (NEXT && next.cold.length) {
    console.log(`\nNext.js app (next-app), build caches on: cold = first push (empty build cache), warm = one-line source change\n`);
    const nextHeader = ['fixture', 'cold rebuild', 'warm rebuild', 'warm / cold'];
    const nextRow = ['next-app', seconds(median(next.cold)), seconds(median(next.warm)), `${((median(next.warm) / median(next.cold)) * 100).toFixed(0)} %`];
    const nextWidths = nextHeader.map((h, i) => Math.max(h.length, nextRow[i].length));
    const nextLine = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(nextWidths[i]) : cell.padStart(nextWidths[i]))).join('  ');
    console.log(nextLine(nextHeader));
    console.log(nextWidths.map((w) => '-'.repeat(w)).join('  '));
    console.log(nextLine(nextRow));
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
