/**
 * npm run bench:placement — how fast and how densely @berth/placement places a realistic
 * stream of instances on a large simulated cluster, beside first-fit and random placement
 * measured in the same run. Prints a table and writes bench/results/placement.json.
 *
 *   node dist/bench/placement.js [--runs 3] [--hosts 10000] [--instances 200000] [--seed 42] [--out bench/results/placement.json]
 *
 * The cluster: identical hosts of 64 GiB, 16 cores and 32768 pids (a common 2-socket-slice
 * cloud size with Linux's default pid_max), with the overcommit a PaaS would run: memory 1
 * (never overcommitted: it is not compressible), CPU 4 (a CFS quota is a ceiling, not a
 * reservation; idle dynos leave it unused), pids 1.
 *
 * The stream (seeded, so every run places the same instances in the same order): process
 * types arrive one at a time, each a request for N replicas of one size, until 200,000
 * instances have been asked for.
 *   web     55% of process types; memory 128 MiB (15%), 256 (25%), 512 (30%), 1024 (20%),
 *           2048 (10%); CPU drawn per memory tier between 0.1 and 2 cores; 256 pids;
 *           replicas 1 (45%), 2 (25%), 3 (12%), 4–6 (10%), 8–20 (8%)
 *   worker  30%; memory 256 (30%), 512 (35%), 1024 (25%), 2048 (10%); CPU 0.5–2 cores;
 *           512 pids; replicas 1 (60%), 2 (25%), 3–5 (15%)
 *   clock   15%; 128 MiB, 0.1 core, 128 pids, one replica
 * The lower bound on hosts: for each resource, total requested ÷ one host's allocatable
 * amount, rounded up; the largest of the three.
 *
 * Each strategy runs `--runs` times on a fresh cluster; the table shows the median rate (the
 * machine is shared and noisy) and hosts used (the same every run: placement is
 * deterministic, random's RNG is seeded).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { allocatable, ClusterSnapshot, HostInput, place, PlacementPolicy, Resources } from '@berth/placement';

const HOST: Resources = { memoryMb: 65536, cpuMillis: 16000, pidsLimit: 32768 };
const OVERCOMMIT = { memoryMb: 1, cpuMillis: 4, pidsLimit: 1 };

interface Request {
  group: string;
  resources: Resources;
  count: number;
}

interface Outcome {
  placed: number;
  pending: number;
  hostsUsed: number;
  seconds: number;
  /** Worst booked ÷ allocatable over hosts and resources (≤ 1 means nothing overbooked). */
  worstFill: number;
}

interface Strategy {
  name: string;
  run(requests: Request[], hostCount: number, seed: number): Outcome;
}

// ------------------------------------------------------------------ the request stream

/** mulberry32: small, fast and good enough for drawing a workload. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T>(random: () => number, table: [T, number][]): T {
  let x = random() * table.reduce((sum, [, w]) => sum + w, 0);
  for (const [value, weight] of table) if ((x -= weight) < 0) return value;
  return table[table.length - 1][0];
}

const between = (random: () => number, lo: number, hi: number, step: number) => lo + step * Math.floor(random() * ((hi - lo) / step + 1));

/** CPU range (millicores) per web memory tier: bigger dynos get more CPU. */
const WEB_CPU: Record<number, [number, number]> = { 128: [100, 250], 256: [100, 500], 512: [250, 1000], 1024: [500, 1500], 2048: [1000, 2000] };

export function makeRequests(total: number, seed: number): Request[] {
  const random = rng(seed);
  const requests: Request[] = [];
  let asked = 0;
  for (let n = 0; asked < total; n++) {
    const kind = weighted(random, [['web', 55], ['worker', 30], ['clock', 15]] as [string, number][]);
    let resources: Resources;
    let count: number;
    if (kind === 'web') {
      const memoryMb = weighted(random, [[128, 15], [256, 25], [512, 30], [1024, 20], [2048, 10]]);
      const [lo, hi] = WEB_CPU[memoryMb];
      resources = { memoryMb, cpuMillis: between(random, lo, hi, 50), pidsLimit: 256 };
      const band = weighted(random, [[[1, 1], 45], [[2, 2], 25], [[3, 3], 12], [[4, 6], 10], [[8, 20], 8]] as [[number, number], number][]);
      count = between(random, band[0], band[1], 1);
    } else if (kind === 'worker') {
      resources = { memoryMb: weighted(random, [[256, 30], [512, 35], [1024, 25], [2048, 10]]), cpuMillis: between(random, 500, 2000, 250), pidsLimit: 512 };
      count = weighted(random, [[1, 60], [2, 25], [between(random, 3, 5, 1), 15]]);
    } else {
      resources = { memoryMb: 128, cpuMillis: 100, pidsLimit: 128 };
      count = 1;
    }
    count = Math.min(count, total - asked);
    asked += count;
    requests.push({ group: `env-${n}/${kind}`, resources, count });
  }
  return requests;
}

export function lowerBound(requests: Request[]): number {
  const total = { memoryMb: 0, cpuMillis: 0, pidsLimit: 0 };
  for (const r of requests) for (const key of keys) total[key] += r.resources[key] * r.count;
  return Math.max(...keys.map((key) => Math.ceil(total[key] / allocatable(HOST[key], OVERCOMMIT[key]))));
}

const keys = ['memoryMb', 'cpuMillis', 'pidsLimit'] as const;

// ------------------------------------------------------------------ strategies

function hosts(count: number): HostInput[] {
  return Array.from({ length: count }, (_, i) => ({ id: `h${i}`, name: `host-${i}`, version: 0, state: 'ready', cordoned: false, capacity: { ...HOST } }));
}

const berth: Strategy = {
  name: 'berth (best-fit index)',
  run(requests, hostCount) {
    const policy: Partial<PlacementPolicy> = { overcommit: OVERCOMMIT };
    let snapshot = ClusterSnapshot.build({ hosts: hosts(hostCount), instances: [] }, policy);
    let placed = 0;
    let pending = 0;
    const start = process.hrtime.bigint();
    for (const request of requests) {
      const plan = place(snapshot, request);
      snapshot = snapshot.apply(plan);
      placed += plan.placements.length;
      pending += plan.pending.length;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    let hostsUsed = 0;
    let worstFill = 0;
    for (const host of snapshot.hosts()) {
      if (host.instanceCount) hostsUsed++;
      for (const key of keys) worstFill = Math.max(worstFill, host.booked[key] / host.allocatable[key]);
    }
    return { placed, pending, hostsUsed, seconds, worstFill };
  },
};

/** A plain array cluster for the baselines: the same capacity rules, no index. */
class FlatCluster {
  readonly cap = keys.map((key) => allocatable(HOST[key], OVERCOMMIT[key]));
  readonly mem: Float64Array;
  readonly cpu: Float64Array;
  readonly pids: Float64Array;
  constructor(readonly size: number) {
    this.mem = new Float64Array(size);
    this.cpu = new Float64Array(size);
    this.pids = new Float64Array(size);
  }
  fits(h: number, r: Resources): boolean {
    return this.mem[h] + r.memoryMb <= this.cap[0] && this.cpu[h] + r.cpuMillis <= this.cap[1] && this.pids[h] + r.pidsLimit <= this.cap[2];
  }
  book(h: number, r: Resources): void {
    this.mem[h] += r.memoryMb;
    this.cpu[h] += r.cpuMillis;
    this.pids[h] += r.pidsLimit;
  }
  outcome(placed: number, pending: number, seconds: number): Outcome {
    let hostsUsed = 0;
    let worstFill = 0;
    for (let h = 0; h < this.size; h++) {
      if (this.mem[h] > 0) hostsUsed++;
      worstFill = Math.max(worstFill, this.mem[h] / this.cap[0], this.cpu[h] / this.cap[1], this.pids[h] / this.cap[2]);
    }
    return { placed, pending, hostsUsed, seconds, worstFill };
  }
}

/**
 * Runs a baseline: `choose` returns a host that fits and is not yet used by this request, or
 * -1; then, like berth, a replica may share a host rather than stay pending.
 */
function baseline(name: string, choose: (cluster: FlatCluster, r: Resources, taken: Set<number>, random: () => number) => number): Strategy {
  return {
    name,
    run(requests, hostCount, seed) {
      const cluster = new FlatCluster(hostCount);
      const random = rng(seed ^ 0x5eed);
      const none = new Set<number>();
      let placed = 0;
      let pending = 0;
      const start = process.hrtime.bigint();
      for (const request of requests) {
        const taken = new Set<number>();
        for (let i = 0; i < request.count; i++) {
          let h = choose(cluster, request.resources, taken, random);
          if (h === -1) h = choose(cluster, request.resources, none, random);
          if (h === -1) {
            pending += request.count - i;
            break;
          }
          cluster.book(h, request.resources);
          taken.add(h);
          placed++;
        }
      }
      return cluster.outcome(placed, pending, Number(process.hrtime.bigint() - start) / 1e9);
    },
  };
}

/** The lowest-numbered host that fits: O(hosts) per instance. */
const firstFit = baseline('first-fit', (cluster, r, taken) => {
  for (let h = 0; h < cluster.size; h++) if (cluster.fits(h, r) && !taken.has(h)) return h;
  return -1;
});

/** A uniformly random host that fits: a few random draws, then a scan from a random start. */
const randomFit = baseline('random', (cluster, r, taken, random) => {
  for (let attempt = 0; attempt < 32; attempt++) {
    const h = Math.floor(random() * cluster.size);
    if (cluster.fits(h, r) && !taken.has(h)) return h;
  }
  const start = Math.floor(random() * cluster.size);
  for (let i = 0; i < cluster.size; i++) {
    const h = (start + i) % cluster.size;
    if (cluster.fits(h, r) && !taken.has(h)) return h;
  }
  return -1;
});

// ------------------------------------------------------------------ main

function args(): { runs: number; hosts: number; instances: number; seed: number; out: string } {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i === -1 ? fallback : argv[i + 1];
  };
  return {
    runs: Number(value('--runs', '3')),
    hosts: Number(value('--hosts', '10000')),
    instances: Number(value('--instances', '200000')),
    seed: Number(value('--seed', '42')),
    out: resolve(value('--out', resolve(__dirname, '..', '..', 'bench', 'results', 'placement.json'))),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const options = args();
  const requests = makeRequests(options.instances, options.seed);
  const bound = lowerBound(requests);
  console.log(`${options.instances.toLocaleString('en')} instances in ${requests.length.toLocaleString('en')} requests onto ${options.hosts.toLocaleString('en')} hosts of 64 GiB / 16 cores / 32768 pids (overcommit: memory ${OVERCOMMIT.memoryMb}, CPU ${OVERCOMMIT.cpuMillis}, pids ${OVERCOMMIT.pidsLimit}); seed ${options.seed}; median of ${options.runs} runs`);
  console.log(`lower bound: ${bound} hosts\n`);

  const rows: { name: string; rate: number; rates: number[]; outcome: Outcome }[] = [];
  for (const strategy of [berth, firstFit, randomFit]) {
    const outcomes: Outcome[] = [];
    for (let run = 0; run < options.runs; run++) outcomes.push(strategy.run(requests, options.hosts, options.seed));
    const rates = outcomes.map((o) => o.placed / o.seconds);
    const outcome = outcomes[0];
    if (outcomes.some((o) => o.hostsUsed !== outcome.hostsUsed || o.placed !== outcome.placed)) throw new Error(`${strategy.name} was not deterministic across runs`);
    if (outcome.worstFill > 1 + 1e-9) throw new Error(`${strategy.name} overbooked a host (${outcome.worstFill.toFixed(3)} of allocatable)`);
    rows.push({ name: strategy.name, rate: median(rates), rates, outcome });
  }

  const table = [
    ['strategy', 'placements/s (median)', 'runs (placements/s)', 'hosts used', '÷ lower bound', 'pending', 'fullest host'],
    ...rows.map((row) => [
      row.name,
      Math.round(row.rate).toLocaleString('en'),
      row.rates.map((r) => Math.round(r / 1000) + 'k').join(' '),
      row.outcome.hostsUsed.toLocaleString('en'),
      (row.outcome.hostsUsed / bound).toFixed(3),
      String(row.outcome.pending),
      `${(row.outcome.worstFill * 100).toFixed(1)}%`,
    ]),
  ];
  const widths = table[0].map((_, col) => Math.max(...table.map((line) => line[col].length)));
  for (const [i, line] of table.entries()) {
    console.log(line.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }

  const [ours, ...others] = rows;
  const result = {
    placementsPerSecond: Math.round(ours.rate),
    hostsUsed: ours.outcome.hostsUsed,
    lowerBound: bound,
    baselines: Object.fromEntries(others.map((row) => [row.name, { hostsUsed: row.outcome.hostsUsed, placementsPerSecond: Math.round(row.rate) }])),
    targets: { placementsPerSecond: 10000, hostsUsedOverLowerBound: 1.05 },
    met: { placementsPerSecond: ours.rate >= 10000, hostsUsed: ours.outcome.hostsUsed <= 1.05 * bound },
    setup: { hosts: options.hosts, instances: options.instances, requests: requests.length, seed: options.seed, runs: options.runs, hostSize: HOST, overcommit: OVERCOMMIT, node: process.version },
  };
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${options.out}`);
}

if (require.main === module) main();
