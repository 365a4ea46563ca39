/**
 * npm run bench:router — the router's cost, measured in one run on this machine:
 * requests/second and p50/p99 latency straight to an app container, through the router
 * (HAProxy with the configuration the router writes), and through a plain Node.js proxy
 * (the alternative we measured before choosing HAProxy), all with the same load generator
 * (wrk, 64 keep-alive connections). Rounds alternate between targets and the medians are
 * reported, because the machine is shared and noisy. Writes bench/results/router.json.
 *
 * Three scenarios, each in one run:
 * - shared: no CPU limits; the app (trivial, it saturates a core), the proxy and the load
 *   generator compete for both cores: the worst case for any proxy on a 2-core machine;
 * - quota: the app under a 0.5-core CPU quota, as Berth runs a web instance;
 * - pinned: the app has core 0 to itself; the proxy (one thread) and the load generator
 *   share core 1, as when the edge and the apps do not compete for the same cores.
 * Besides throughput and latency it reports the CPU each process spent per request (µs),
 * which explains the ratios.
 *
 * Options (environment): BENCH_SECONDS (per measurement, default 4), BENCH_ROUNDS (default 5),
 * BENCH_CONNECTIONS (default 64), BENCH_SCENARIOS (default "shared,quota,pinned"),
 * BENCH_NODE_PROXY=0 to skip the Node.js proxy.
 */
import { ChildProcess, execFile, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { BerthConfig } from '@berth/config';
import { haproxyFiles, initialState } from '../libs/router/src/edge/haproxy-config';
import { HaproxyProcess } from '../libs/router/src/edge/haproxy.process';
import { buildRouteTable } from '../libs/router/src/routes/route-table';
import { ensureWebAppImage } from '../test/support/images';
import { freePort } from '../test/support/platform';

const run = promisify(execFile);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SCENARIOS = {
  shared: { title: 'shared: no CPU limits (the app saturates a core; app, proxy and wrk share both cores)', app: [] as string[], pin: false },
  quota: { title: 'quota: app container under a 0.5-core CPU quota', app: ['--cpus', '0.5'], pin: false },
  pinned: { title: 'pinned: app alone on core 0; proxy (one thread) and wrk on core 1', app: ['--cpuset-cpus', '0'], pin: true },
};
type ScenarioName = keyof typeof SCENARIOS;
const scenarioNames = (process.env.BENCH_SCENARIOS ?? 'shared,quota,pinned').split(',') as ScenarioName[];
const onCore1 = (pin: boolean, command: string[]) => (pin ? ['taskset', '-c', '1', ...command] : command);
const HOST = 'bench.localhost';

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time per request (µs) of the app and of the proxy in between, if any. */
  appCpuUs: number;
  proxyCpuUs: number;
}

/** CPU time (user + system, in µs) a process and its threads have used so far. */
function cpuMicros(pid: number | null): number {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const ms = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit];

async function wrk(port: number, appPid: number, proxyPid: number | null, pin: boolean): Promise<Sample> {
  const before = [cpuMicros(appPid), cpuMicros(proxyPid)];
  const [bin, ...args] = onCore1(pin, ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${HOST}`, `http://127.0.0.1:${port}/`]);
  const { stdout } = await run(bin, args, { maxBuffer: 1 << 20 });
  const latency = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(stdout);
    if (!m) throw new Error(`no p${p} in wrk output:\n${stdout}`);
    return ms(m[1], m[2]);
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const requests = Number(/(\d+) requests in/.exec(stdout)![1]);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]),
    p50: latency('50'),
    p99: latency('99'),
    errors: Number(errors?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
    appCpuUs: (cpuMicros(appPid) - before[0]) / requests,
    proxyCpuUs: proxyPid ? (cpuMicros(proxyPid) - before[1]) / requests : 0,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A minimal keep-alive reverse proxy on Node's http module: the alternative to HAProxy. */
const NODE_PROXY = `
const http = require('node:http');
const [port, target] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
http.createServer((req, res) => {
  const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, agent,
    headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress, 'x-forwarded-proto': 'http' } }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(upstream);
}).listen(port, '127.0.0.1', () => process.send('ready'));
`;

async function scenario(name: ScenarioName, haproxy: HaproxyProcess, dir: string) {
  const { app, pin } = SCENARIOS[name];
  const label = `berth.bench=router-${process.pid}`;
  let nodeProxy: ChildProcess | null = null;
  let container = '';
  try {
    container = (await run('podman', ['run', '-d', '--label', label, ...app, '--memory', '256m', '-p', '127.0.0.1::8080', '-e', 'INSTANCE_NAME=bench', ensureWebAppImage()])).stdout.trim();
    const appPort = Number(/:(\d+)\s*$/m.exec((await run('podman', ['port', container, '8080'])).stdout)![1]);
    const appPid = Number((await run('podman', ['inspect', '-f', '{{.State.Pid}}', container])).stdout.trim());

    const routerPort = await freePort();
    const table = buildRouteTable([
      { id: 'bench', appName: 'bench', envName: 'production', production: true, hostnames: [HOST], backends: [{ key: `127.0.0.1:${appPort}`, address: '127.0.0.1', port: appPort, instanceId: 'bench-1' }] },
    ]);
    const options = { dir, host: '127.0.0.1', port: routerPort, connectTimeoutSeconds: 5, responseTimeoutSeconds: 60, idleTimeoutSeconds: 60, websocketTimeoutSeconds: 3600, maxBodyBytes: 100 << 20, maxConnections: 4096, threads: pin ? 1 : Number(process.env.ROUTER_THREADS ?? 0) };
    await haproxy.start(dir, haproxyFiles(options, initialState(table)));
    const master = Number(readFileSync(join(dir, 'haproxy.pid'), 'utf8'));
    const haproxyWorker = Number((await run('pgrep', ['-P', String(master), 'haproxy'])).stdout.trim().split('\n')[0]);
    if (pin) for (const pid of [master, haproxyWorker]) await run('taskset', ['-a', '-p', '-c', '1', String(pid)]);

    const targets: Record<string, { port: number; proxyPid: number | null }> = { direct: { port: appPort, proxyPid: null }, router: { port: routerPort, proxyPid: haproxyWorker } };
    if (process.env.BENCH_NODE_PROXY !== '0') {
      const nodePort = await freePort();
      writeFileSync(join(dir, 'node-proxy.js'), NODE_PROXY);
      nodeProxy = fork(join(dir, 'node-proxy.js'), [String(nodePort), String(appPort)], { execArgv: [] });
      await new Promise((resolve) => nodeProxy!.once('message', resolve));
      if (pin) await run('taskset', ['-a', '-p', '-c', '1', String(nodeProxy.pid)]);
      targets['node proxy'] = { port: nodePort, proxyPid: nodeProxy.pid! };
    }
    for (const t of Object.values(targets)) await wrk(t.port, appPid, t.proxyPid, pin).catch(() => undefined); // warm up (JIT, connections)
    const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(targets).map((target) => [target, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const [target, t] of Object.entries(targets)) samples[target].push(await wrk(t.port, appPid, t.proxyPid, pin));
      process.stderr.write(`${name}: round ${round}/${rounds} done\n`);
    }
    const medians = Object.fromEntries(
      Object.entries(samples).map(([target, list]) => {
        const m = (key: keyof Sample) => median(list.map((s) => s[key]));
        return [target, { rps: Math.round(m('rps')), p50: m('p50'), p99: m('p99'), errors: list.reduce((n, s) => n + s.errors, 0), appCpuUs: m('appCpuUs'), proxyCpuUs: m('proxyCpuUs') }];
      }),
    ) as Record<string, Sample>;
    return { scenario: name, samples, medians };
  } finally {
    nodeProxy?.kill();
    await haproxy.stop().catch(() => undefined);
    if (container) await run('podman', ['rm', '-f', '-t', '0', container]).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-router-'));
  const haproxy = new HaproxyProcess({ router: { haproxyBin: process.env.ROUTER_HAPROXY_BIN ?? 'haproxy' } } as BerthConfig);
  const results = [];
  try {
    for (const name of scenarioNames) results.push(await scenario(name, haproxy, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nRouter benchmark: wrk, ${connections} keep-alive connections, GET / of a small Node.js app in a container; ${seconds} s × ${rounds} rounds, medians\n`);
  for (const { scenario: name, medians } of results) {
    const d = medians.direct;
    console.log(SCENARIOS[name].title);
    console.table(
      Object.entries(medians).map(([target, s]) => ({
        target,
        'req/s': s.rps,
        'p50 ms': s.p50.toFixed(2),
        'p99 ms': s.p99.toFixed(2),
        'throughput vs direct': `${((s.rps / d.rps) * 100).toFixed(1)}%`,
        'added p99 ms': (s.p99 - d.p99).toFixed(2),
        'app CPU µs/req': s.appCpuUs.toFixed(1),
        'proxy CPU µs/req': s.proxyCpuUs.toFixed(1),
        errors: s.errors,
      })),
    );
    const ratio = medians.router.rps / d.rps;
    const added = medians.router.p99 - d.p99;
    console.log(`router: ${(ratio * 100).toFixed(1)}% of direct throughput (target ≥ 80%), ${added.toFixed(2)} ms added at p99 (target ≤ 2 ms): ${ratio >= 0.8 && added <= 2 ? 'MET' : 'NOT MET'}\n`);
  }
  const resultsDir = resolve(__dirname, '..', '..', 'bench', 'results'); // this runs from dist/bench
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, 'router.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), connections, seconds, rounds, scenarios: results.map((r) => ({ ...r, throughputRatio: r.medians.router.rps / r.medians.direct.rps, addedP99Ms: r.medians.router.p99 - r.medians.direct.p99 })) }, null, 2)}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
