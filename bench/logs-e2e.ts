/**
 * npm run bench:logs-e2e — runtime logs through Berth's real path: containers on Podman write
 * lines, the agent's LogShipper follows them and stores them in PostgreSQL, a client follows one
 * environment over HTTP (server-sent events, with a real token). Against the engine's own stream
 * (`podman logs -f` of the same container), measured in the same run.
 *
 *   node dist/bench/logs-e2e.js [--instances 100] [--rate 200] [--seconds 40] [--idle-seconds 15]
 *
 * The platform runs in this process (api, scheduler and agent roles, a throw-away database, an
 * agent on this host and real Podman). One app, `--instances` environments (production and
 * previews, never sleeping), one web instance each, run the
 * logging image of test/support (busybox) with a writer: once told to start (SIGUSR1) it writes
 * `L <n> <t>` lines at `--rate` lines per second, n counting from 1 and t the host's
 * /proc/uptime in hundredths of a second when written (a shell builtin read, no fork); on
 * SIGUSR2 it writes `END <n>` and stops. The per-instance rate limit (LOGS_RATE_LINES_PER_SECOND)
 * is set to 5 × `--rate` for this run, so nothing is dropped by design.
 *
 * Phases:
 *  1. no load: only the followed environment writes, `--idle-seconds`; tail latency (now − t) of
 *     every line the SSE client receives, and of every line `podman logs -f` prints;
 *  2. load: every instance writes, `--seconds`; stored lines per second (PostgreSQL's count of
 *     app lines, over the window) against what the instances wrote, and the same tail latencies;
 *  3. loss: SIGUSR2 to all, wait until every `END <n>` is stored (or nothing new arrives for
 *     20 s), then per instance the distinct numbers stored against n.
 * Prints a table and writes bench/results/logs-e2e.json. Everything it creates on Podman carries
 * Berth's labels (berth.host=<its own host name>) and is removed at the end, also on failure.
 */
import 'reflect-metadata';
import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { INestApplication } from '@nestjs/common';
import { loadEnvFile, parseConfig } from '@berth/config';
import { configureHttpApp } from '@berth/core';
import { PrismaService } from '@berth/db';
import { ReleasesService } from '@berth/releases';
import { rootModuleFor } from '../apps/berth/src/bootstrap';
import { ensureLoggingImage } from '../test/support/logs';
import { freePort } from '../test/support/platform';
import { insertImage, isolatedCluster, removeContainersOf } from '../test/support/runtime';
import { option, percentile, sleep } from './support/cli';

/**
 * The writer, run by `sh -c` as the web process: httpd answers the health check (and ignores the
 * signals meant for the writer); the writer waits for SIGUSR1, then keeps n at rate × elapsed.
 */
function writerScript(rate: number): string {
  return [
    "(trap '' USR1 USR2; exec httpd -f -p $PORT -h /www) &",
    // A pause without a process: `read -t` on a FIFO nobody writes. `sleep` would fork and exec
    // 20 times a second in each of 100 writers, and those 2,000 processes a second took a core
    // of this 2-core host from everything measured here.
    "if mkfifo /tmp/tick 2>/dev/null || [ -p /tmp/tick ]; then exec 3<>/tmp/tick; pause='read -t 0.05 -u 3 _'; else pause='sleep 0.05'; fi",
    "go=0; stop=0; trap 'go=1' USR1; trap 'stop=1' USR2",
    'while [ $go = 0 ] && [ $stop = 0 ]; do $pause; done',
    'n=0; read u _ </proc/uptime; t0=${u%.*}${u#*.}',
    `while [ $stop = 0 ]; do read u _ </proc/uptime; t=\${u%.*}\${u#*.}; m=$(( (t - t0) * ${rate} / 100 )); while [ $n -lt $m ]; do n=$((n + 1)); echo "L $n $t"; done; $pause; done`,
    'echo "END $n"',
    'while :; do sleep 3600; done',
  ].join('\n');
}

/** Wall-clock milliseconds of /proc/uptime's zero (the smallest of many samples: uptime is cut to 10 ms). */
function uptimeOrigin(): number {
  let best = Infinity;
  const until = Date.now() + 200;
  while (Date.now() < until) {
    const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    best = Math.min(best, Date.now() - Math.round(up * 1000));
  }
  return best;
}

const execFileAsync = promisify(execFile);

const LINE = /\bL (\d+) (\d+)$/;

/** Latencies (ms) of the lines a stream delivers while `recording` is set. */
class LatencyRecorder {
  recording: string | null = null;
  readonly samples = new Map<string, number[]>();
  constructor(private readonly origin: number) {}
  take(text: string): void {
    if (!this.recording) return;
    const match = LINE.exec(text.trimEnd());
    if (!match) return;
    const latency = Date.now() - (this.origin + Number(match[2]) * 10);
    const list = this.samples.get(this.recording) ?? [];
    list.push(latency);
    this.samples.set(this.recording, list);
  }
  summary(phase: string): { lines: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null } {
    const list = this.samples.get(phase) ?? [];
    return { lines: list.length, p50Ms: percentile(list, 50), p99Ms: percentile(list, 99), maxMs: list.length ? Math.max(...list) : null };
  }
}

/** Follows an environment's logs through the API (SSE), as the dashboard does. */
function followSse(url: string, token: string, recorder: LatencyRecorder, abort: AbortController): Promise<void> {
  return (async () => {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
    if (response.status !== 200) throw new Error(`follow: ${response.status} ${await response.text()}`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 1);
        if (line.startsWith('data: ')) recorder.take(line.slice(6));
      }
    }
  })().catch((error) => {
    if (!abort.signal.aborted) console.error(`follow ended: ${(error as Error).message}`);
  });
}

/** The baseline: the engine's own stream of the same container. */
function followPodman(containerId: string, recorder: LatencyRecorder): ChildProcess {
  const child = spawn('podman', ['logs', '-f', '--since', '1s', containerId], { stdio: ['ignore', 'pipe', 'ignore'] });
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let at: number;
    while ((at = buffer.indexOf('\n')) >= 0) {
      recorder.take(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
  });
  return child;
}

async function api(base: string, path: string, body: object, token?: string): Promise<Record<string, any>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, any>;
}

/** Ids of the running containers of this run's host, by environment name (one instance each). */
function containersByEnvironment(hostName: string): Map<string, string> {
  const out = execFileSync('podman', ['ps', '--no-trunc', '--filter', `label=berth.host=${hostName}`, '--format', '{{.ID}} {{index .Labels "berth.env"}}']).toString().trim();
  return new Map(
    out
      ? out.split('\n').map((line) => {
          const [id, app] = line.split(' ');
          return [app, id] as [string, string];
        })
      : [],
  );
}

/**
 * Signals the writers. Asynchronous: the platform runs in this process, and a synchronous
 * `podman kill` of 100 containers held its event loop for seconds, a backlog no real agent has.
 */
async function signal(ids: string[], name: 'USR1' | 'USR2'): Promise<void> {
  for (let i = 0; i < ids.length; i += 50) await execFileAsync('podman', ['kill', '--signal', name, ...ids.slice(i, i + 50)]);
}

async function appLines(db: PrismaService): Promise<number> {
  const [{ n }] = await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "LogLine" WHERE source = 'app'`);
  return Number(n);
}

/**
 * The store's baseline, with the writers stopped: the same stored lines again, read back and
 * inserted by one client in batches of 2,000 (as LogWriter sends them) into a plain table
 * (primary key only, no other index, no lock), lines per second.
 */
async function plainInsertRate(db: PrismaService, lines: number): Promise<number> {
  await db.$executeRawUnsafe(`CREATE TABLE "LogLinePlain" (LIKE "LogLine" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await db.$executeRawUnsafe(`ALTER TABLE "LogLinePlain" ADD PRIMARY KEY (id)`);
  const rows = await db.$queryRawUnsafe<{ environmentId: string; time: Date; source: string; processType: string | null; instance: string | null; release: number | null; stream: string | null; text: string }[]>(
    `SELECT "environmentId"::text AS "environmentId", time, source, "processType", instance, release, stream, text FROM "LogLine" WHERE source = 'app' ORDER BY id LIMIT ${lines}`,
  );
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += 2000) {
    const batch = rows.slice(i, i + 2000);
    const col = <T>(pick: (l: (typeof rows)[number]) => T) => batch.map(pick);
    await db.$executeRaw`INSERT INTO "LogLinePlain" ("environmentId", time, source, "processType", instance, release, stream, text)
      SELECT * FROM unnest(${col((l) => l.environmentId)}::uuid[], ${col((l) => l.time.toISOString())}::timestamptz[], ${col((l) => l.source)}::text[],
        ${col((l) => l.processType)}::text[], ${col((l) => l.instance)}::text[], ${col((l) => l.release)}::int[], ${col((l) => l.stream)}::text[], ${col((l) => l.text)}::text[])`;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return Math.round(rows.length / seconds);
}

/**
 * From a container's write to the agent's receipt: LogLine.time is when the shipper took the
 * line (Podman stamps whole seconds, so the shipper keeps its own, finer arrival time), against
 * the time written in the line; lines written between `from` and `to` (wall-clock ms).
 */
async function shipperLatency(db: PrismaService, origin: number, from: number, to: number, environmentId: string | null) {
  const [row] = await db.$queryRawUnsafe<{ lines: bigint; p50: number | null; p99: number | null }[]>(
    `SELECT count(*) AS lines,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
     FROM (SELECT extract(epoch FROM time) * 1000 - (${origin} + split_part(text, ' ', 3)::bigint * 10) AS ms
           FROM "LogLine" WHERE source = 'app' AND text LIKE 'L %' ${environmentId ? `AND "environmentId" = '${environmentId}'` : ''}
             AND split_part(text, ' ', 3)::bigint BETWEEN ${Math.floor((from - origin) / 10)} AND ${Math.ceil((to - origin) / 10)}) AS l`,
  );
  return { lines: Number(row.lines), p50Ms: row.p50 === null ? null : Math.round(row.p50), p99Ms: row.p99 === null ? null : Math.round(row.p99) };
}

async function main(): Promise<void> {
  loadEnvFile();
  const instances = option('instances', 100);
  const rate = option('rate', 200);
  const seconds = option('seconds', 40);
  const idleSeconds = option('idle-seconds', 15);
  const suffix = randomBytes(3).toString('hex');
  const image = ensureLoggingImage();
  const secretKey = randomBytes(32).toString('hex');
  const defaults = parseConfig({ ...process.env, BERTH_SECRET_KEY: secretKey });
  const limit = rate * 5;
  console.log(`${instances} instances writing ${rate} lines/s each (${instances * rate} lines/s offered); LOGS_RATE_LINES_PER_SECOND=${limit}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const cluster = await isolatedCluster({ adminUrl: defaults.database.url, databaseName: `berth_bench_${suffix}`, redisPrefix: `berth_bench_${suffix}` });
  const hostName = `bench-logs-${suffix}`;
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-logs-e2e-'));
  const config = parseConfig({
    ...process.env,
    ...cluster.env,
    BERTH_ENV_FILE: 'none',
    BERTH_SECRET_KEY: secretKey,
    BERTH_HOST_NAME: hostName,
    BERTH_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    BERTH_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ROUTER_PORT: String(await freePort()),
    ROUTER_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOGS_RATE_LINES_PER_SECOND: String(limit),
    // Small instances (a shell and httpd), and a host declared big enough for all of them.
    FORMATION_DEFAULT_MEMORY_MB: '64',
    FORMATION_DEFAULT_CPU: '0.2',
    FORMATION_DEFAULT_DISK_MB: '64',
    FORMATION_PREVIEW_MEMORY_MB: '64',
    FORMATION_PREVIEW_CPU: '0.2',
    AGENT_MEMORY_MB: String(Math.max(4096, instances * 64 + 2048)),
    AGENT_CPU: String(Math.max(4, Math.ceil(instances * 0.2) + 2)),
  });
  let app: INestApplication | undefined;
  // Interrupted: what it made on Podman and its database go all the same.
  const interrupted = () => {
    removeContainersOf([hostName]);
    void cluster.drop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const abort = new AbortController();
  let podmanLogs: ChildProcess | undefined;
  let result: object | undefined;
  try {
    app = await NestFactory.create(rootModuleFor(config, ['api', 'scheduler', 'agent']), { logger: ['error', 'warn'], bodyParser: false });
    configureHttpApp(app);
    await app.listen(port, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const db = app.get(PrismaService);
    const releases = app.get(ReleasesService, { strict: false });
    const signup = await api(base, '/api/auth/signup', { email: `bench-${suffix}@example.com`, password: 'correct horse battery staple' });
    const token: string = signup.token;

    // One app through the API (one app network on the host, however many instances), its
    // production environment and N − 1 preview environments (rows, as a push of a branch makes
    // them, never sleeping), each with an image recorded as a build would and deployed as a
    // finished build does.
    const appName = `bl${suffix}`;
    await api(base, '/api/apps', { name: appName }, token);
    const appRow = await db.app.findUniqueOrThrow({ where: { name: appName } });
    const names = ['production', ...Array.from({ length: instances - 1 }, (_, i) => `p${i + 1}`)];
    await db.environment.createMany({ data: names.slice(1).map((name) => ({ appId: appRow.id, name, kind: 'preview' as const, branch: name })) });
    const t0 = Date.now();
    for (const envName of names) {
      const { environment, image: row } = await insertImage(db, appName, { tag: image, processTypes: { web: writerScript(rate) }, envName });
      await releases.deployImage({ environmentId: environment.id, imageId: row.id, createdById: null });
    }
    let running = new Map<string, string>();
    for (let reported = Date.now(); ; await sleep(1000)) {
      const healthy = await db.instance.count({ where: { healthy: true, actualState: 'running', desiredState: 'running' } });
      running = containersByEnvironment(hostName);
      if (healthy >= instances && names.every((name) => running.has(name))) break;
      if (Date.now() - reported > 10_000) {
        reported = Date.now();
        console.log(`  ${Math.round((Date.now() - t0) / 1000)} s: ${healthy} of ${instances} instances healthy`);
      }
      if (Date.now() - t0 > 600_000) throw new Error(`only ${healthy} of ${instances} instances became healthy in 10 minutes`);
    }
    console.log(`${instances} instances healthy after ${Math.round((Date.now() - t0) / 1000)} s`);

    const origin = uptimeOrigin();
    const berth = new LatencyRecorder(origin);
    const engine = new LatencyRecorder(origin);
    const followed = running.get(names[0])!;
    void followSse(`${base}/api/apps/${appName}/environments/production/logs?follow=true&tail=1`, token, berth, abort);
    podmanLogs = followPodman(followed, engine);
    await sleep(1000);

    // 1. No load: the followed instance alone writes.
    await signal([followed], 'USR1');
    await sleep(2000);
    berth.recording = engine.recording = 'idle';
    const idleFrom = Date.now();
    const idleLoad = loadavg()[0];
    await sleep(idleSeconds * 1000);
    berth.recording = engine.recording = null;
    const idleTo = Date.now();

    // 2. Load: every instance writes.
    const others = names.slice(1).map((name) => running.get(name)!);
    await signal(others, 'USR1');
    await sleep(5000); // all writing, the shipper's batches at their size
    berth.recording = engine.recording = 'load';
    // The count is of the snapshot its statement starts with: the window is timed from the
    // statements' starts (a count over a million rows takes a while, longer at the end).
    const w0 = Date.now();
    const storedBefore = await appLines(db);
    // What Berth's process (agent, store writes, the api's live tail, all one thread) spends.
    const cpu0 = process.cpuUsage();
    const loads: number[] = [];
    const perSecond: number[] = [];
    let previous = storedBefore;
    let previousAt = w0;
    for (let s = 0; s < seconds; s += 5) {
      await sleep(5000);
      const at = Date.now();
      const now = await appLines(db);
      perSecond.push(Math.round((now - previous) / ((at - previousAt) / 1000)));
      previous = now;
      previousAt = at;
      loads.push(loadavg()[0]);
      console.log(`  load ${s + 5} s: ${perSecond[perSecond.length - 1]} lines/s stored, load average ${loads[loads.length - 1].toFixed(2)}`);
    }
    const w1 = previousAt;
    const storedAfter = previous;
    const cpu = process.cpuUsage(cpu0);
    const window = (w1 - w0) / 1000;
    berth.recording = engine.recording = null;

    // 3. Loss: stop every writer, wait for every END line (or for the stream to go quiet).
    await signal([followed, ...others], 'USR2');
    const stopped = Date.now();
    let ends = 0;
    for (let last = -1, quietSince = Date.now(); ; await sleep(1000)) {
      const [{ n }] = await db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "LogLine" WHERE source = 'app' AND text LIKE 'END %'`);
      ends = Number(n);
      const stored = await appLines(db);
      if (stored !== last) quietSince = Date.now();
      last = stored;
      if (ends >= instances || Date.now() - quietSince > 20_000) break;
    }
    const catchUpSeconds = (Date.now() - stopped) / 1000;
    const rows = await db.$queryRawUnsafe<{ env: string; written: number | null; stored: bigint; distinct: bigint }[]>(`
      SELECT "environmentId"::text AS env,
        max(split_part(text, ' ', 2)::int) FILTER (WHERE text LIKE 'END %') AS written,
        count(*) FILTER (WHERE text LIKE 'L %') AS stored,
        count(DISTINCT split_part(text, ' ', 2)) FILTER (WHERE text LIKE 'L %') AS distinct
      FROM "LogLine" WHERE source = 'app' GROUP BY 1`);
    const written = rows.reduce((sum, r) => sum + (r.written ?? 0), 0);
    const distinct = rows.reduce((sum, r) => sum + Number(r.distinct), 0);
    const stored = rows.reduce((sum, r) => sum + Number(r.stored), 0);
    const drops = await db.logLine.count({ where: { source: 'berth', text: { contains: 'logged too fast' } } });
    const restarts = await db.instance.aggregate({ _sum: { restartCount: true } }).catch(() => null);

    const followedEnv = (await db.environment.findFirstOrThrow({ where: { appId: appRow.id, name: 'production' } })).id;
    const shipper = {
      idle: await shipperLatency(db, origin, idleFrom, idleTo, followedEnv),
      underLoad: await shipperLatency(db, origin, w0, w1, null),
    };
    const plainInsert = await plainInsertRate(db, Math.min(200_000, Math.max(20_000, storedAfter - storedBefore)));
    const ingest = {
      plainInsertLinesPerSecond: plainInsert,
      offeredLinesPerSecond: instances * rate,
      storedLinesPerSecond: Math.round((storedAfter - storedBefore) / window),
      storedPerFiveSeconds: perSecond,
      windowSeconds: Math.round(window),
      /** Berth's process CPU over the window: the share of one core, and microseconds per line stored. */
      processCpuShareOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / (w1 - w0)) * 100) / 100,
      processCpuMicrosecondsPerLine: Math.round((cpu.user + cpu.system) / Math.max(1, storedAfter - storedBefore)),
    };
    const loss = { written, storedDistinct: distinct, duplicates: stored - distinct, lost: written - distinct, endLinesStored: ends, catchUpSeconds, rateLimitDropLines: drops, restarts: restarts?._sum.restartCount ?? null };
    result = {
      instances,
      ratePerInstance: rate,
      rateLimitPerInstance: limit,
      loadAverage: { idle: idleLoad, underLoadMax: Math.max(...loads), underLoadMean: loads.reduce((a, b) => a + b, 0) / loads.length },
      ingest,
      loss,
      shipper,
      tail: { berthIdle: berth.summary('idle'), berthUnderLoad: berth.summary('load'), podmanIdle: engine.summary('idle'), podmanUnderLoad: engine.summary('load') },
    };
    print(result as Record<string, any>);
  } finally {
    abort.abort();
    podmanLogs?.kill();
    await app?.close().catch((error) => console.error(`closing the platform: ${(error as Error).message}`));
    removeContainersOf([hostName]);
    await cluster.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // Another load than the default one goes to its own file, beside the default's.
  const file = instances === 100 && rate === 200 ? 'logs-e2e.json' : `logs-e2e-${instances}x${rate}.json`;
  writeFileSync(join(dir, file), JSON.stringify({ measuredAt: new Date().toISOString(), machine: '2-core development machine, shared', ...result }, null, 2) + '\n');
  console.log(`wrote ${join(dir, file)}`);
}

function print(r: Record<string, any>): void {
  const f = (v: unknown) => (typeof v === 'number' ? String(Math.round(v)) : v === null || v === undefined ? '—' : String(v));
  const t = r.tail;
  const rows: [string, string, string][] = [
    ['', 'Berth', 'baseline'],
    [`ingest, ${r.instances} instances × ${r.ratePerInstance} lines/s (lines/s stored)`, f(r.ingest.storedLinesPerSecond), `${f(r.ingest.offeredLinesPerSecond)} written; plain INSERT ${f(r.ingest.plainInsertLinesPerSecond)}`],
    ['  Berth process CPU over the window: share of one core, µs per line stored', `${r.ingest.processCpuShareOfOneCore} / ${f(r.ingest.processCpuMicrosecondsPerLine)}`, ''],
    ['lines written / stored (distinct) / lost / duplicated', `${r.loss.written} / ${r.loss.storedDistinct} / ${r.loss.lost} / ${r.loss.duplicates}`, ''],
    ['tail latency, no load: p50 / p99 ms (lines)', `${f(t.berthIdle.p50Ms)} / ${f(t.berthIdle.p99Ms)} (${t.berthIdle.lines})`, `podman logs -f: ${f(t.podmanIdle.p50Ms)} / ${f(t.podmanIdle.p99Ms)}`],
    ['tail latency, under load: p50 / p99 ms (lines)', `${f(t.berthUnderLoad.p50Ms)} / ${f(t.berthUnderLoad.p99Ms)} (${t.berthUnderLoad.lines})`, `podman logs -f: ${f(t.podmanUnderLoad.p50Ms)} / ${f(t.podmanUnderLoad.p99Ms)}`],
    ['  of which write → agent received (LogLine.time): no load / load p50 / p99 ms', `${f(r.shipper.idle.p50Ms)} / ${f(r.shipper.idle.p99Ms)}; ${f(r.shipper.underLoad.p50Ms)} / ${f(r.shipper.underLoad.p99Ms)}`, ''],
    ['load average: idle / under load (max)', `${r.loadAverage.idle.toFixed(2)} / ${r.loadAverage.underLoadMax.toFixed(2)}`, ''],
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
