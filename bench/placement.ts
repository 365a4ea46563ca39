/**
 * npm run bench:placement — how fast and how densely @berth/placement places a realistic
 * stream of instances on a large simulated cluster, beside first-fit and random placement
 * measured in the same run. Prints a table and writes bench/results/placement.json.
 *
 *   node dist/bench/placement.js [--runs 5] [--hosts 10000] [--instances 200000] [--seed 42]
 *                                [--cpu-overcommit 4] [--out bench/results/placement.json]
 *
 * The cluster: identical hosts of 64 GiB, 16 cores and 32768 pids (a common cloud host size,
 * with Linux's default pid_max), with the overcommit a PaaS would run: memory 1 (never
 * overcommitted: it is not compressible), CPU 4 (a CFS quota is a ceiling, not a reservation;
 * idle dynos leave theirs unused), pids 1.
 *
 * The stream (seeded, so every run places the same instances in the same order): process
 * types arrive one at a time, each a request for N replicas of one size, until 200,000
 * instances have been asked for.
 *   web     55% of process types; memory 128 MiB (15%), 256 (25%), 512 (30%), 1024 (20%),
 *           2048 (10%); CPU 0.1–2 cores, more for bigger dynos (see WEB_CPU); 256 pids;
 *           replicas 1 (45%), 2 (25%), 3 (12%), 4–6 (10%), 8–20 (8%)
 *   worker  30%; memory 256 (30%), 512 (35%), 1024 (25%), 2048 (10%); CPU 0.5–2 cores;
 *           512 pids; replicas 1 (60%), 2 (25%), 3–5 (15%)
 *   clock   15%; 128 MiB, 0.1 core, 128 pids, one replica
 * Lower bound on hosts: for each resource, total requested ÷ one host's allocatable amount
 * (capacity × overcommit), rounded up; the largest of the three.
 *
 * Every strategy places the whole stream `--runs` times, the strategies taking turns so that
 * noise from other work on the machine spreads over all of them. The table shows the median
 * rate by wall clock (the JSON's figure) and by CPU time (less disturbed by other processes);
 * hosts used are the same every run (placement is deterministic, random's RNG is seeded).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { allocatable, ClusterSnapshot, HostInput, OvercommitRatios, place, Resources } from '@berth/placement';
import { seeded as rng } from '../libs/placement/src/testing';

const HOST: Resources = { memoryMb: 65536, cpuMillis: 16000, pidsLimit: 32768 };
const KEYS = ['memoryMb', 'cpuMillis', 'pidsLimit'] as const;

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
  cpuSeconds: number;
  /** Worst booked ÷ allocatable over hosts and resources (≤ 1: nothing overbooked). */
  worstFill: number;
}

interface Strategy {
  name: string;
  run(requests: Request[], hostCount: number, overcommit: OvercommitRatios, seed: number): Outcome;
}

// ------------------------------------------------------------------ the request stream

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
    const kind = weighted<string>(random, [['web', 55], ['worker', 30], ['clock', 15]]);
    let resources: Resources;
    let count: number;
    if (kind === 'web') {
      const memoryMb = weighted(random, [[128, 15], [256, 25], [512, 30], [1024, 20], [2048, 10]]);
      const [lo, hi] = WEB_CPU[memoryMb];
      resources = { memoryMb, cpuMillis: between(random, lo, hi, 50), pidsLimit: 256 };
      const [fewest, most] = weighted<[number, number]>(random, [[[1, 1], 45], [[2, 2], 25], [[3, 3], 12], [[4, 6], 10], [[8, 20], 8]]);
      count = between(random, fewest, most, 1);
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

/** Hosts needed by each resource alone, and their maximum: no placement can use fewer hosts. */
export function lowerBound(requests: Request[], overcommit: OvercommitRatios): { hosts: number; byResource: Resources } {
  const total: Resources = { memoryMb: 0, cpuMillis: 0, pidsLimit: 0 };
  for (const r of requests) for (const key of KEYS) total[key] += r.resources[key] * r.count;
  const byResource = Object.fromEntries(KEYS.map((key) => [key, Math.ceil(total[key] / allocatable(HOST[key], overcommit[key]))])) as unknown as Resources;
  return { hosts: Math.max(...KEYS.map((key) => byResource[key])), byResource };
}

// ------------------------------------------------------------------ strategies

function stopwatch(): () => { seconds: number; cpuSeconds: number } {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { seconds: Number(process.hrtime.bigint() - wall) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
  };
}

function hosts(count: number): HostInput[] {
  return Array.from({ length: count }, (_, i) => ({ id: `h${i}`, name: `host-${i}`, version: 0, state: 'ready', cordoned: false, capacity: { ...HOST } }));
}

/** The library as the scheduler uses it: one plan per request, applied to the snapshot. */
const berth: Strategy = {
  name: 'berth (best-fit index)',
  run(requests, hostCount, overcommit) {
    let snapshot = ClusterSnapshot.build({ hosts: hosts(hostCount), instances: [] }, { overcommit });
    let placed = 0;
    let pending = 0;
    const stop = stopwatch();
    for (const request of requests) {
      const plan = place(snapshot, request);
      snapshot = snapshot.apply(plan);
      placed += plan.placements.length;
      pending += plan.pending.length;
    }
    const time = stop();
    let hostsUsed = 0;
    let worstFill = 0;
    for (const host of snapshot.hosts()) {
      if (host.instanceCount) hostsUsed++;
      for (const key of KEYS) worstFill = Math.max(worstFill, host.booked[key] / host.allocatable[key]);
    }
    return { placed, pending, hostsUsed, worstFill, ...time };
  },
};

/** A plain array cluster for the baselines: the same capacity rules, no index, no bookkeeping. */
class FlatCluster {
  readonly cap: number[];
  readonly mem: Float64Array;
  readonly cpu: Float64Array;
  readonly pids: Float64Array;
  constructor(
    readonly size: number,
    overcommit: OvercommitRatios,
  ) {
    this.cap = KEYS.map((key) => allocatable(HOST[key], overcommit[key]));
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
  outcome(placed: number, pending: number, time: { seconds: number; cpuSeconds: number }): Outcome {
    let hostsUsed = 0;
    let worstFill = 0;
    for (let h = 0; h < this.size; h++) {
      if (this.mem[h] > 0) hostsUsed++;
      worstFill = Math.max(worstFill, this.mem[h] / this.cap[0], this.cpu[h] / this.cap[1], this.pids[h] / this.cap[2]);
    }
    return { placed, pending, hostsUsed, worstFill, ...time };
  }
}

/**
 * A baseline: `choose` returns a host that fits and does not yet run this request's group, or
 * -1; then, like berth, a replica may share a host rather than stay pending.
 */
function baseline(name: string, choose: (cluster: FlatCluster, r: Resources, taken: ReadonlySet<number>, random: () => number) => number): Strategy {
  return {
    name,
    run(requests, hostCount, overcommit, seed) {
      const cluster = new FlatCluster(hostCount, overcommit);
      const random = rng(seed ^ 0x5eed);
      const none = new Set<number>();
      let placed = 0;
      let pending = 0;
      const stop = stopwatch();
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
      return cluster.outcome(placed, pending, stop());
    },
  };
}

/** The lowest-numbered host that fits: a scan of the hosts in use per instance. */
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

function options() {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i === -1 ? fallback : argv[i + 1];
  };
  const numeric = (flag: string, fallback: number) => {
    const n = Number(value(flag, String(fallback)));
    if (!(n > 0)) throw new Error(`${flag} must be a positive number`);
    return n;
  };
  return {
    runs: numeric('--runs', 5),
    hosts: numeric('--hosts', 10_000),
    instances: numeric('--instances', 200_000),
    seed: numeric('--seed', 42),
    overcommit: { memoryMb: 1, cpuMillis: numeric('--cpu-overcommit', 4), pidsLimit: 1 },
    out: resolve(value('--out', resolve(__dirname, '..', '..', 'bench', 'results', 'placement.json'))),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const thousands = (n: number) => Math.round(n).toLocaleString('en');

function main(): void {
  const o = options();
  const requests = makeRequests(o.instances, o.seed);
  const bound = lowerBound(requests, o.overcommit);
  console.log(
    `${thousands(o.instances)} instances in ${thousands(requests.length)} requests onto ${thousands(o.hosts)} hosts of 64 GiB / 16 cores / 32768 pids\n` +
      `overcommit: memory ${o.overcommit.memoryMb}, CPU ${o.overcommit.cpuMillis}, pids ${o.overcommit.pidsLimit}; seed ${o.seed}; ${o.runs} runs per strategy, taking turns\n` +
      `lower bound: ${bound.hosts} hosts (memory alone ${bound.byResource.memoryMb}, CPU ${bound.byResource.cpuMillis}, pids ${bound.byResource.pidsLimit})\n`,
  );

  const strategies = [berth, firstFit, randomFit];
  const outcomes = strategies.map((): Outcome[] => []);
  for (let run = 0; run < o.runs; run++) strategies.forEach((strategy, i) => outcomes[i].push(strategy.run(requests, o.hosts, o.overcommit, o.seed)));

  const rows = strategies.map((strategy, i) => {
    const runs = outcomes[i];
    const first = runs[0];
    if (runs.some((r) => r.hostsUsed !== first.hostsUsed || r.placed !== first.placed)) throw new Error(`${strategy.name} was not deterministic across runs`);
    if (first.worstFill > 1 + 1e-9) throw new Error(`${strategy.name} overbooked a host (${first.worstFill.toFixed(3)} of allocatable)`);
    return { name: strategy.name, rate: median(runs.map((r) => r.placed / r.seconds)), cpuRate: median(runs.map((r) => r.placed / r.cpuSeconds)), rates: runs.map((r) => r.placed / r.seconds), outcome: first };
  });

  const table = [
    ['strategy', 'placements/s', 'per CPU-s', 'each run (wall)', 'hosts used', '÷ bound', 'pending', 'fullest'],
    ...rows.map((row) => [
      row.name,
      thousands(row.rate),
      thousands(row.cpuRate),
      row.rates.map((r) => `${Math.round(r / 1000)}k`).join(' '),
      thousands(row.outcome.hostsUsed),
      (row.outcome.hostsUsed / bound.hosts).toFixed(3),
      String(row.outcome.pending),
      `${(row.outcome.worstFill * 100).toFixed(1)}%`,
    ]),
  ];
  const widths = table[0].map((_, col) => Math.max(...table.map((line) => line[col].length)));
  table.forEach((line, i) => {
    console.log(line.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });

  const [ours, ...others] = rows;
  const result = {
    placementsPerSecond: Math.round(ours.rate),
    hostsUsed: ours.outcome.hostsUsed,
    lowerBound: bound.hosts,
    baselines: Object.fromEntries(others.map((row) => [row.name, { hostsUsed: row.outcome.hostsUsed, placementsPerSecond: Math.round(row.rate) }])),
    targets: { placementsPerSecond: 10_000, hostsUsedOverLowerBound: 1.05 },
    met: { placementsPerSecond: ours.rate >= 10_000, hostsUsed: ours.outcome.hostsUsed <= 1.05 * bound.hosts },
    detail: {
      placementsPerCpuSecond: Math.round(ours.cpuRate),
      runsPlacementsPerSecond: ours.rates.map(Math.round),
      lowerBoundByResource: bound.byResource,
      hosts: o.hosts,
      instances: o.instances,
      requests: requests.length,
      seed: o.seed,
      runs: o.runs,
      hostSize: HOST,
      overcommit: o.overcommit,
      node: process.version,
    },
  };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${result.met.placementsPerSecond && result.met.hostsUsed ? 'targets met' : 'TARGET MISSED'}: ≥ 10,000 placements/s and ≤ 1.05 × lower bound; wrote ${o.out}`);
}

if (require.main === module) main();
