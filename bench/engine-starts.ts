/**
 * npm run bench:engine-starts — what one container start costs the engine (Podman, no Berth) as
 * the running containers grow, with a published port (as Berth's agent runs a web instance) and
 * without one (as it would if the router reached instances on their bridge address), and
 * whether starts run side by side. Prints a table and writes bench/results/engine-starts.json.
 *
 *   node dist/bench/engine-starts.js [--containers 300] [--bucket 25] [--burst 8]
 *
 * For each mode in turn: `podman run -d` of a busybox httpd (32 MB limit) one at a time, ten to
 * an isolated bridge network (Berth makes one per app, apps of ten environments in
 * bench:density), until --containers run; each start is timed, and the median of each bucket of
 * --bucket starts is reported with the rules in iptables' nat and filter tables at that point.
 * The baseline, measured in the same run, is the first bucket (an engine with nothing running).
 * Then, with --containers running, --burst more starts one at a time and the same number four
 * at a time: equal wall-clock times mean the engine serialises starts.
 * Everything it makes carries the label berth.bench=engine-starts-<run> and is removed at the end.
 */
import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { option, percentile } from './support/cli';

const execFile = promisify(execFileCallback);
const run = `engine-starts-${randomBytes(4).toString('hex')}`;
const LABEL = `berth.bench=${run}`;
const IMAGE = `localhost/berth-bench/busybox:${run}`;
const MODES = ['published port', 'no published port'] as const;
type Mode = (typeof MODES)[number];

const podman = async (...args: string[]) => (await execFile('podman', args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
const ruleCount = (table: string) => execFileSync('iptables', ['-w', '-t', table, '-S']).toString().split('\n').filter(Boolean).length;

function buildImage(): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-engine-starts-'));
  try {
    cpSync('/bin/busybox', join(dir, 'busybox'));
    writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\n');
    execFileSync('podman', ['build', '-q', '--label', LABEL, '-t', IMAGE, dir], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts one container on `network`; the milliseconds `podman run -d` took. */
async function start(mode: Mode, network: string): Promise<number> {
  const ports = mode === 'published port' ? ['-p', '127.0.0.1::8080'] : [];
  const began = performance.now();
  await podman('run', '-d', '--label', LABEL, '--network', network, '--memory', '32m', ...ports, IMAGE, '/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/');
  return performance.now() - began;
}

async function network(name: string): Promise<string> {
  await podman('network', 'create', '--opt', 'isolate=true', '--label', LABEL, name);
  return name;
}

async function cleanUp(): Promise<void> {
  const ids = (await podman('ps', '-aq', '--filter', `label=${LABEL}`)).split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) await podman('rm', '-f', '-t', '0', ...ids.slice(i, i + 50)).catch(() => '');
  const networks = (await podman('network', 'ls', '-q', '--filter', `label=${LABEL}`)).split('\n').filter(Boolean);
  if (networks.length) await podman('network', 'rm', '-f', ...networks).catch(() => '');
}

interface Bucket {
  running: number;
  medianMs: number;
  p90Ms: number;
  natRules: number;
  filterRules: number;
}

async function measure(mode: Mode, containers: number, bucketSize: number, burst: number) {
  const buckets: Bucket[] = [];
  let times: number[] = [];
  let net = '';
  for (let i = 0; i < containers; i++) {
    if (i % 10 === 0) net = await network(`${run}-${mode === 'published port' ? 'p' : 'n'}-${i / 10}`);
    times.push(await start(mode, net));
    if (times.length === bucketSize || i === containers - 1) {
      buckets.push({ running: i + 1 - times.length, medianMs: Math.round(percentile(times, 50)!), p90Ms: Math.round(percentile(times, 90)!), natRules: ruleCount('nat'), filterRules: ruleCount('filter') });
      process.stdout.write(`  ${mode}: ${i + 1} running\n`);
      times = [];
    }
  }
  const burstNet = await network(`${run}-${mode === 'published port' ? 'p' : 'n'}-burst`);
  let began = performance.now();
  for (let i = 0; i < burst; i++) await start(mode, burstNet);
  const oneAtATimeMs = performance.now() - began;
  began = performance.now();
  const lanes = 4;
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane; i < burst; i += lanes) await start(mode, burstNet);
  }));
  const fourAtATimeMs = performance.now() - began;
  return { mode, buckets, burst: { starts: burst, runningBefore: containers, oneAtATimeMs: Math.round(oneAtATimeMs), fourAtATimeMs: Math.round(fourAtATimeMs) } };
}

async function main(): Promise<void> {
  const containers = option('containers', 300);
  const bucketSize = option('bucket', 25);
  const burst = option('burst', 8);
  buildImage();
  const results = [];
  try {
    for (const mode of MODES) {
      results.push(await measure(mode, containers, bucketSize, burst));
      await cleanUp();
    }
  } finally {
    await cleanUp();
    await podman('rmi', '-f', IMAGE).catch(() => '');
  }

  const [published, unpublished] = results;
  console.log(`\nOne \`podman run -d\` at a time (median / p90 ms of each bucket of ${bucketSize}; baseline: the first bucket)`);
  console.log('running before | published port      | nat rules after | no published port   | nat rules after | ÷ baseline (published, not)');
  published.buckets.forEach((p, n) => {
    const u = unpublished.buckets[n];
    const cell = (b: Bucket) => `${b.medianMs} / ${b.p90Ms}`.padEnd(19);
    console.log(`${String(p.running).padStart(14)} | ${cell(p)} | ${String(p.natRules).padStart(15)} | ${cell(u)} | ${String(u.natRules).padStart(15)} | ${(p.medianMs / published.buckets[0].medianMs).toFixed(1)}×, ${(u.medianMs / unpublished.buckets[0].medianMs).toFixed(1)}×`);
  });
  console.log(`\n${burst} more starts with ${containers} running: one at a time vs four at a time (ms, wall clock)`);
  for (const r of results) console.log(`  ${r.mode.padEnd(18)} ${r.burst.oneAtATimeMs} vs ${r.burst.fourAtATimeMs}`);

  const out = resolve(__dirname, '..', '..', 'bench', 'results', 'engine-starts.json'); // this runs from dist/bench
  mkdirSync(resolve(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measuredAt: new Date().toISOString(), engine: await podman('version', '--format', '{{.Server.Version}}'), containers, bucketSize, results }, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
