/**
 * npm run bench:density — how densely and quickly this machine runs small web apps through
 * Berth's scheduler and agent, against `podman run` from the CLI as the baseline, measured in
 * the same run.
 *
 * Each side starts N instances (BENCH_INSTANCES, default 30) of busybox httpd with a 32 MB
 * limit one after another, timing each until its port answers, then measures memory with
 * all N running: the MemAvailable drop of the host (noisy on a shared machine), what the
 * containers' memory cgroups are charged, and the conmon monitor each container has on the
 * host (PSS). Then N more at once (a burst) for throughput. Berth runs with a throw-away
 * database; every app is a separate app (its own release and rollout), as tenants would be.
 * Prints a table and writes bench/results/density.json.
 */
import 'reflect-metadata';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { loadEnvFile, parseConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { ReleasesService } from '@berth/releases';
import { rootModuleFor } from '../apps/berth/src/bootstrap';
import { ensureBusyboxImage } from '../test/support/images';
import { isolatedCluster, removeContainersOf, TEST_LABEL } from '../test/support/runtime';

const N = Number(process.env.BENCH_INSTANCES ?? 30);
const MEMORY_MB = 32;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

interface Result {
  name: string;
  instances: number;
  startMedianMs: number;
  startP90Ms: number;
  hostMemoryMb: number;
  cgroupMemoryMb: number;
  monitorMemoryMb: number;
  /** Growth of this process (Berth's scheduler and agent run in it), per instance. */
  controlPlaneMemoryMb: number;
  burstMsPerInstance: number;
}

function memAvailableKb(): number {
  return Number(/^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
}

/** MemAvailable averaged over a few seconds, once page cache and lazy frees have settled. */
async function settledMemAvailableKb(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 8; i++) {
    samples.push(memAvailableKb());
    await sleep(400);
  }
  return samples.slice(3).reduce((a, b) => a + b, 0) / (samples.length - 3);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function untilAnswers(port: number): Promise<void> {
  while (!(await answers(port))) await sleep(10);
}

/** Memory charged to the containers' memory cgroups, and the PSS of their conmon monitors, in MB. */
function containerMemory(ids: string[]): { cgroupMb: number; monitorMb: number } {
  let cgroup = 0;
  let monitor = 0;
  for (const id of ids) {
    const [pid, conmon] = execFileSync('podman', ['inspect', '-f', '{{.State.Pid}} {{.State.ConmonPid}}', id]).toString().trim().split(' ');
    const path = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((line) => /:memory:/.test(line))?.split(':')[2];
    if (path) cgroup += Number(readFileSync(`/sys/fs/cgroup/memory${path}/memory.usage_in_bytes`, 'utf8'));
    const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${conmon}/smaps_rollup`, 'utf8'));
    if (pss) monitor += Number(pss[1]) * 1024;
  }
  return { cgroupMb: cgroup / 2 ** 20, monitorMb: monitor / 2 ** 20 };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/**
 * N starts one after another (each timed until it serves), memory with those N running, then
 * N more at once. `start` starts one instance and resolves when it serves; `running` lists
 * the container ids of the side measured.
 */
async function measure(name: string, start: () => Promise<unknown>, running: () => string[]): Promise<Result> {
  const before = await settledMemAvailableKb();
  const rssBefore = process.memoryUsage().rss;
  const starts: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = Date.now();
    await start();
    starts.push(Date.now() - t);
  }
  const after = await settledMemAvailableKb();
  const rssAfter = process.memoryUsage().rss;
  const ids = running();
  const { cgroupMb, monitorMb } = containerMemory(ids);
  const burstStarted = Date.now();
  await Promise.all(Array.from({ length: N }, start));
  return {
    name,
    instances: ids.length,
    startMedianMs: percentile(starts, 50),
    startP90Ms: percentile(starts, 90),
    hostMemoryMb: (before - after) / 1024 / N,
    cgroupMemoryMb: cgroupMb / N,
    monitorMemoryMb: monitorMb / N,
    controlPlaneMemoryMb: (rssAfter - rssBefore) / 2 ** 20 / N,
    burstMsPerInstance: (Date.now() - burstStarted) / N,
  };
}

/**
 * The baseline: the same containers (limits, user, capabilities, init, published port) started
 * with the podman CLI. With `ownNetwork`, each on an isolated bridge network of its own, made
 * first with `podman network create`, as Berth gives every app (here every instance is an app).
 */
async function throughCli(image: string, ownNetwork: boolean): Promise<Result> {
  const ids: string[] = [];
  const networks: string[] = [];
  const start = async () => {
    const network: string[] = [];
    if (ownNetwork) {
      const name = `berth-bench-${randomBytes(4).toString('hex')}`;
      await run('podman', ['network', 'create', '--opt', 'isolate=true', '--label', TEST_LABEL, name]);
      networks.push(name);
      network.push('--network', name);
    }
    const { stdout } = await run('podman', [
      'run', '-d', '--label', TEST_LABEL, ...network, '--init', '--memory', `${MEMORY_MB}m`, '--memory-swap', `${MEMORY_MB}m`, '--cpus', '0.1',
      '--pids-limit', '32', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--user', '65534:65534',
      '-e', 'PORT=5000', '-p', '127.0.0.1::5000', image, 'httpd', '-f', '-p', '5000', '-h', '/www',
    ]);
    const id = stdout.trim();
    ids.push(id);
    const { stdout: port } = await run('podman', ['port', id, '5000/tcp']);
    await untilAnswers(Number(port.trim().split(':').pop()));
  };
  try {
    return await measure(ownNetwork ? 'podman run, a network each (CLI)' : 'podman run (CLI)', start, () => [...ids]);
  } finally {
    if (ids.length) execFileSync('podman', ['rm', '-f', '-t', '0', ...ids], { stdio: 'ignore' });
    if (networks.length) execFileSync('podman', ['network', 'rm', '-f', ...networks], { stdio: 'ignore' });
  }
}

async function throughBerth(image: string): Promise<Result> {
  const secretKey = randomBytes(32).toString('hex');
  const suffix = randomBytes(3).toString('hex');
  const adminUrl = parseConfig({ ...process.env, BERTH_SECRET_KEY: secretKey }).database.url;
  const cluster = await isolatedCluster({ adminUrl, databaseName: `berth_bench_${suffix}`, redisPrefix: `berth_bench_${suffix}` });
  const hostName = `bench-${suffix}`;
  const config = parseConfig({
    ...process.env,
    ...cluster.env,
    BERTH_ENV_FILE: 'none',
    BERTH_SECRET_KEY: secretKey,
    BERTH_HOST_NAME: hostName,
    AGENT_MEMORY_MB: String(2 * N * MEMORY_MB),
    AGENT_CPU: String(N),
    FORMATION_DEFAULT_MEMORY_MB: String(MEMORY_MB),
    FORMATION_DEFAULT_CPU: '0.1',
    FORMATION_DEFAULT_PIDS: '32',
    ROLLOUT_DRAIN_SECONDS: '0',
    LOG_LEVEL: 'warn',
  });
  const context = await NestFactory.createApplicationContext(rootModuleFor(config, ['scheduler', 'agent']), { logger: ['error', 'warn'] });
  await context.init();
  const db = context.get(PrismaService);
  const releases = context.get(ReleasesService);
  try {
    const user = await db.user.create({ data: { email: `bench-${suffix}@example.com`, passwordHash: 'x' } });
    const team = await db.team.create({ data: { name: `bench-${suffix}`, memberships: { create: { userId: user.id, role: 'owner' } } } });
    let count = 0;
    /** A new app whose build produced `image`; resolves when its web instance is healthy. */
    const deployApp = async (): Promise<void> => {
      const i = count++;
      const app = await db.app.create({ data: { name: `bench-${suffix}-${i}`, teamId: team.id, environments: { create: { name: 'production', kind: 'production', branch: 'main' } } }, include: { environments: true } });
      const environmentId = app.environments[0].id;
      const commitSha = randomBytes(20).toString('hex');
      const build = await db.build.create({ data: { appId: app.id, environmentId, commitSha, branch: 'main', status: 'succeeded' } });
      const made = await db.image.create({ data: { appId: app.id, buildId: build.id, digest: `sha256:${randomBytes(32).toString('hex')}`, tag: image, sizeBytes: BigInt(0), commitSha, processTypes: { web: 'httpd -f -p $PORT -h /www' } } });
      const t = Date.now();
      await releases.deployImage({ environmentId, imageId: made.id, createdById: null });
      while (!(await db.instance.findFirst({ where: { environmentId, healthy: true, actualState: 'running' } }))) {
        if (Date.now() - t > 120_000) throw new Error(`app ${i} did not become healthy in 2 minutes`);
        await sleep(20);
      }
    };
    const running = () => execFileSync('podman', ['ps', '-q', '--no-trunc', '--filter', `label=berth.host=${hostName}`]).toString().trim().split('\n').filter(Boolean);
    return await measure('Berth (release → scheduler → agent)', deployApp, running);
  } finally {
    await context.close();
    removeContainersOf([hostName]);
    await cluster.drop();
  }
}

async function main(): Promise<void> {
  loadEnvFile(); // PostgreSQL and Redis as `npm start` finds them (.env fills what is not exported)
  const image = ensureBusyboxImage();
  console.log(`${N} web instances (busybox httpd, ${MEMORY_MB} MB limit) one after another, then ${N} more at once; ${image}\n`);
  const results = [await throughCli(image, false), await throughCli(image, true), await throughBerth(image)];
  const f = (n: number, digits = 1) => n.toFixed(digits);
  const rows = [
    ['', 'start median ms', 'start p90 ms', 'burst ms/inst.', 'host MB/inst.', 'cgroup MB/inst.', 'conmon MB/inst.', 'own RSS MB/inst.'],
    ...results.map((r) => [r.name, f(r.startMedianMs, 0), f(r.startP90Ms, 0), f(r.burstMsPerInstance, 0), f(r.hostMemoryMb, 2), f(r.cgroupMemoryMb, 2), f(r.monitorMemoryMb, 2), f(r.controlPlaneMemoryMb, 2)]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  const berth = results[results.length - 1];
  console.log('');
  for (const cli of results.slice(0, -1)) {
    console.log(
      `Berth / ${cli.name}: start median ×${f(berth.startMedianMs / cli.startMedianMs, 2)}, burst ×${f(berth.burstMsPerInstance / cli.burstMsPerInstance, 2)}, ` +
        `charged memory per instance (cgroup + conmon) ×${f((berth.cgroupMemoryMb + berth.monitorMemoryMb) / (cli.cgroupMemoryMb + cli.monitorMemoryMb), 2)}`,
    );
  }
  console.log('host MB/inst.: drop of MemAvailable over the N sequential starts (other work on the machine moves it; it includes the own RSS growth of this process, where Berth runs).');
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'density.json'), JSON.stringify({ instances: N, memoryLimitMb: MEMORY_MB, results }, null, 2) + '\n');
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
