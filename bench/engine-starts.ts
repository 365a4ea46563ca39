/**
 * npm run bench:engine-starts — what one container start costs the engine (Podman, no Berth) as
 * the running containers grow, with a published port (as Berth's agent runs a web instance),
 * without one (as it would if the router reached instances on their bridge address), and on a
 * lean network (Podman 4's CNI with the `bridge` plugin alone: no masquerade, no `portmap`, no
 * `firewall`, so no iptables rule per container; what the rules would cost if Berth kept one
 * set per network itself), and whether starts run side by side. Then, with the containers of
 * the last bucket stopped, `podman start` of a stopped one (a deep sleeper's wake). Prints a
 * table and writes bench/results/engine-starts.json.
 *
 *   node dist/bench/engine-starts.js [--containers 300] [--bucket 25] [--burst 8]
 *
 * For each mode in turn: `podman run -d` of a busybox httpd (32 MB limit) one at a time, ten to
 * an isolated bridge network (Berth makes one per app, apps of ten environments in
 * bench:density), until --containers run; each start is timed, and the median of each bucket of
 * --bucket starts is reported with the rules in iptables' nat and filter tables at that point.
 * The baseline, measured in the same run, is the first bucket (an engine with nothing running).
 * Then, with --containers running, --burst more starts one at a time and the same number four
 * at a time: equal wall-clock times mean the engine serialises starts. A lean network is a CNI
 * file this bench writes in Podman's directory (10.250.N.0/24, its own bridge) and removes;
 * one container of each mode must answer on its bridge address, or the run fails.
 * Everything it makes carries the label berth.bench=engine-starts-<run> and is removed at the end.
 */
import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { option, percentile } from './support/cli';

const execFile = promisify(execFileCallback);
const run = `engine-starts-${randomBytes(4).toString('hex')}`;
const LABEL = `berth.bench=${run}`;
const IMAGE = `localhost/berth-bench/busybox:${run}`;
const MODES = ['published port', 'no published port', 'lean network'] as const;
type Mode = (typeof MODES)[number];
/** A letter per mode in its networks' names. */
const LETTER: Record<Mode, string> = { 'published port': 'p', 'no published port': 'n', 'lean network': 'l' };

const podman = async (...args: string[]) => (await execFile('podman', args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
// stderr ignored: iptables-nft warns there when the kernel also holds legacy tables (not a rule).
const ruleCount = (table: string) => execFileSync('iptables', ['-w', '-t', table, '-S'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n').filter(Boolean).length;

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
async function start(mode: Mode, network: string, started?: string[]): Promise<number> {
  const ports = mode === 'published port' ? ['-p', '127.0.0.1::8080'] : [];
  const began = performance.now();
  const id = await podman('run', '-d', '--label', LABEL, '--network', network, '--memory', '32m', ...ports, IMAGE, '/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/');
  const ms = performance.now() - began;
  started?.push(id);
  return ms;
}

/** Where Podman 4's CNI backend reads networks from (it reloads them when the directory changes). */
const CNI_DIR = '/etc/cni/net.d';
/** Lean networks' files and bridges, removed at the end. */
const leanNetworks: { name: string; bridge: string }[] = [];

async function network(name: string, mode: Mode): Promise<string> {
  if (mode !== 'lean network') {
    await podman('network', 'create', '--opt', 'isolate=true', '--label', LABEL, name);
    return name;
  }
  // The same bridge and addresses as Podman writes for its own networks, and nothing else.
  const n = leanNetworks.length;
  const bridge = `bl${run.slice(-4)}${n}`;
  const config = {
    cniVersion: '0.4.0',
    name,
    args: { podman_labels: { 'berth.bench': run } },
    plugins: [{ type: 'bridge', bridge, isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: `10.250.${n}.0/24`, gateway: `10.250.${n}.1` }]] } }],
  };
  writeFileSync(join(CNI_DIR, `${name}.conflist`), JSON.stringify(config, null, 2));
  leanNetworks.push({ name, bridge });
  return name;
}

/** Whether a container's httpd answers on its bridge address (the lean network's containers are reached that way). */
async function answersOnBridge(id: string): Promise<boolean> {
  const address = await podman('inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', id);
  return new Promise((resolve) => {
    const req = httpGet({ host: address, port: 8080, path: '/', timeout: 5000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function cleanUp(): Promise<void> {
  const ids = (await podman('ps', '-aq', '--filter', `label=${LABEL}`)).split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) await podman('rm', '-f', '-t', '0', ...ids.slice(i, i + 50)).catch(() => '');
  const networks = (await podman('network', 'ls', '-q', '--filter', `label=${LABEL}`)).split('\n').filter(Boolean);
  if (networks.length) await podman('network', 'rm', '-f', ...networks).catch(() => '');
  for (const { name, bridge } of leanNetworks.splice(0)) {
    rmSync(join(CNI_DIR, `${name}.conflist`), { force: true });
    rmSync(join('/var/lib/cni/networks', name), { recursive: true, force: true });
    if (existsSync(`/sys/class/net/${bridge}`)) await execFile('ip', ['link', 'del', bridge]).catch(() => undefined);
  }
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
  const ids: string[] = [];
  const letter = LETTER[mode];
  for (let i = 0; i < containers; i++) {
    if (i % 10 === 0) net = await network(`${run}-${letter}-${i / 10}`, mode);
    times.push(await start(mode, net, ids));
    if (times.length === bucketSize || i === containers - 1) {
      buckets.push({ running: i + 1 - times.length, medianMs: Math.round(percentile(times, 50)!), p90Ms: Math.round(percentile(times, 90)!), natRules: ruleCount('nat'), filterRules: ruleCount('filter') });
      process.stdout.write(`  ${mode}: ${i + 1} running\n`);
      times = [];
    }
  }
  // Every mode's containers must serve: a lean network that started containers nothing reaches would prove nothing.
  if (!(await answersOnBridge(ids[0]))) throw new Error(`a container on a ${mode} network did not answer on its bridge address`);
  const burstNet = await network(`${run}-${letter}-burst`, mode);
  let began = performance.now();
  for (let i = 0; i < burst; i++) await start(mode, burstNet);
  const oneAtATimeMs = performance.now() - began;
  began = performance.now();
  const lanes = 4;
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane; i < burst; i += lanes) await start(mode, burstNet);
  }));
  const fourAtATimeMs = performance.now() - began;
  // A deep sleeper's wake: the last bucket's containers stopped, then started again one at a time.
  const sleepers = ids.slice(-bucketSize);
  for (const id of sleepers) await podman('stop', '-t', '0', id);
  const restarts: number[] = [];
  for (const id of sleepers) {
    const t = performance.now();
    await podman('start', id);
    restarts.push(performance.now() - t);
  }
  const startOfStopped = { runningBefore: containers + burst * 2 - sleepers.length, medianMs: Math.round(percentile(restarts, 50)!), p90Ms: Math.round(percentile(restarts, 90)!) };
  return { mode, buckets, burst: { starts: burst, runningBefore: containers, oneAtATimeMs: Math.round(oneAtATimeMs), fourAtATimeMs: Math.round(fourAtATimeMs) }, startOfStopped };
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

  const [published, unpublished, lean] = results;
  console.log(`\nOne \`podman run -d\` at a time (median / p90 ms of each bucket of ${bucketSize}; baseline: the first bucket)`);
  console.log('running before | published port      | nat rules after | no published port   | nat rules after | lean network        | nat rules after | ÷ baseline (published, not, lean)');
  const cell = (b: Bucket) => `${b.medianMs} / ${b.p90Ms}`.padEnd(19);
  const ratio = (b: Bucket, first: Bucket) => `${(b.medianMs / first.medianMs).toFixed(1)}×`;
  published.buckets.forEach((p, n) => {
    const u = unpublished.buckets[n];
    const l = lean.buckets[n];
    console.log(`${String(p.running).padStart(14)} | ${cell(p)} | ${String(p.natRules).padStart(15)} | ${cell(u)} | ${String(u.natRules).padStart(15)} | ${cell(l)} | ${String(l.natRules).padStart(15)} | ${ratio(p, published.buckets[0])}, ${ratio(u, unpublished.buckets[0])}, ${ratio(l, lean.buckets[0])}`);
  });
  console.log(`\n${burst} more starts with ${containers} running: one at a time vs four at a time (ms, wall clock)`);
  for (const r of results) console.log(`  ${r.mode.padEnd(18)} ${r.burst.oneAtATimeMs} vs ${r.burst.fourAtATimeMs}`);
  console.log(`\n\`podman start\` of a stopped container (the last ${bucketSize} stopped), the others running: median / p90 ms`);
  for (const r of results) console.log(`  ${r.mode.padEnd(18)} ${r.startOfStopped.medianMs} / ${r.startOfStopped.p90Ms} (${r.startOfStopped.runningBefore} running)`);

  const out = resolve(__dirname, '..', '..', 'bench', 'results', 'engine-starts.json'); // this runs from dist/bench
  mkdirSync(resolve(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measuredAt: new Date().toISOString(), engine: await podman('version', '--format', '{{.Server.Version}}'), containers, bucketSize, results }, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
