/**
 * npm run bench:router — the router's cost, measured in one run on this machine:
 * requests/second and p50/p99 latency straight to an app container, through the router
 * (HAProxy with the configuration the router writes), and through a plain Node.js proxy
 * (the alternative we measured before choosing HAProxy), all with the same load generator
 * (wrk, 64 keep-alive connections). Rounds alternate between targets and the medians are
 * reported, because the machine is shared and noisy. Writes bench/results/router.json.
 *
 * Options (environment): BENCH_SECONDS (per measurement, default 5), BENCH_ROUNDS (default 5),
 * BENCH_CONNECTIONS (default 64), BENCH_APP_CPUS (CPU quota of the app container, default 1,
 * as Berth runs instances with a quota; 0 for none).
 */
import { ChildProcess, execFile, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BerthConfig } from '@berth/config';
import { ERROR_STATUSES, initialState, paths, renderHaproxyConfig, renderHostsMap } from '../libs/router/src/edge/haproxy-config';
import { HaproxyProcess } from '../libs/router/src/edge/haproxy.process';
import { renderErrorFile } from '../libs/router/src/edge/status-pages';
import { buildRouteTable } from '../libs/router/src/routes/route-table';
import { ensureWebAppImage } from '../test/support/images';

const run = promisify(execFile);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const appCpus = Number(process.env.BENCH_APP_CPUS ?? 1);
const HOST = 'bench.localhost';

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const ms = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit];

async function wrk(port: number): Promise<Sample> {
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${HOST}`, `http://127.0.0.1:${port}/`], { maxBuffer: 1 << 20 });
  const latency = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(stdout);
    if (!m) throw new Error(`no p${p} in wrk output:\n${stdout}`);
    return ms(m[1], m[2]);
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]),
    p50: latency('50'),
    p99: latency('99'),
    errors: Number(errors?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
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

async function main(): Promise<void> {
  const label = `berth.bench=router-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-router-'));
  const haproxy = new HaproxyProcess({ router: { haproxyBin: process.env.ROUTER_HAPROXY_BIN ?? 'haproxy' } } as BerthConfig);
  let nodeProxy: ChildProcess | null = null;
  let container = '';
  try {
    const image = ensureWebAppImage();
    const cpus = appCpus > 0 ? ['--cpus', String(appCpus)] : [];
    container = (await run('podman', ['run', '-d', '--label', label, ...cpus, '--memory', '256m', '-p', '127.0.0.1::8080', '-e', 'INSTANCE_NAME=bench', image])).stdout.trim();
    const appPort = Number(/:(\d+)\s*$/m.exec((await run('podman', ['port', container, '8080'])).stdout)![1]);

    const routerPort = await freePort();
    const table = buildRouteTable([
      { id: 'bench', appName: 'bench', envName: 'production', production: true, hostnames: [HOST], backends: [{ key: `127.0.0.1:${appPort}`, address: '127.0.0.1', port: appPort, instanceId: 'bench-1' }] },
    ]);
    const state = initialState(table);
    const options = { dir, host: '127.0.0.1', port: routerPort, connectTimeoutSeconds: 5, responseTimeoutSeconds: 60, idleTimeoutSeconds: 60, websocketTimeoutSeconds: 3600, maxBodyBytes: 100 << 20, maxConnections: 4096 };
    const p = paths(dir);
    const files: Record<string, string> = { [p.config]: renderHaproxyConfig(options, state), [p.hostsMap]: renderHostsMap(state) };
    for (const status of ERROR_STATUSES) files[p.errorFile(status)] = renderErrorFile(status);
    await haproxy.start(dir, files);

    const nodePort = await freePort();
    writeFileSync(join(dir, 'node-proxy.js'), NODE_PROXY);
    nodeProxy = fork(join(dir, 'node-proxy.js'), [String(nodePort), String(appPort)], { execArgv: [] });
    await new Promise((resolve) => nodeProxy!.once('message', resolve));

    const targets: Record<string, number> = { direct: appPort, router: routerPort, 'node proxy': nodePort };
    if (process.env.BENCH_NODE_PROXY === '0') delete targets['node proxy'];
    for (const port of Object.values(targets)) await wrk(port).catch(() => undefined); // warm up (JIT, connections)
    const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const [name, port] of Object.entries(targets)) samples[name].push(await wrk(port));
      process.stderr.write(`round ${round}/${rounds} done\n`);
    }

    const summary = Object.fromEntries(
      Object.entries(samples).map(([name, list]) => [
        name,
        { rps: Math.round(median(list.map((s) => s.rps))), p50: median(list.map((s) => s.p50)), p99: median(list.map((s) => s.p99)), errors: list.reduce((n, s) => n + s.errors, 0) },
      ]),
    ) as Record<string, Sample>;
    const rows = Object.keys(targets).map((name) => {
      const s = summary[name];
      const d = summary.direct;
      return {
        target: name,
        'req/s': s.rps,
        'p50 ms': s.p50.toFixed(2),
        'p99 ms': s.p99.toFixed(2),
        'throughput vs direct': `${((s.rps / d.rps) * 100).toFixed(1)}%`,
        'added p99 ms': (s.p99 - d.p99).toFixed(2),
        errors: s.errors,
      };
    });
    console.log(`\nRouter benchmark: wrk, ${connections} keep-alive connections, ${seconds} s × ${rounds} rounds (medians), app container CPU quota ${appCpus || 'none'}\n`);
    console.table(rows);
    const router = summary.router;
    const ratio = router.rps / summary.direct.rps;
    const added = router.p99 - summary.direct.p99;
    console.log(`router: ${(ratio * 100).toFixed(1)}% of direct throughput (target ≥ 80%), ${added.toFixed(2)} ms added at p99 (target ≤ 2 ms): ${ratio >= 0.8 && added <= 2 ? 'MET' : 'NOT MET'}`);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(
      join(__dirname, 'results', 'router.json'),
      `${JSON.stringify({ measuredAt: new Date().toISOString(), connections, seconds, rounds, appCpus, samples, medians: summary, throughputRatio: ratio, addedP99Ms: added }, null, 2)}\n`,
    );
  } finally {
    nodeProxy?.kill();
    await haproxy.stop().catch(() => undefined);
    if (container) await run('podman', ['rm', '-f', '-t', '0', container]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
