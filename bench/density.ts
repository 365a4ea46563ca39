/**
 * npm run bench:density — how many environments one host carries through Berth's real path,
 * and what each costs, against `podman start` of an existing stopped container of the same
 * image (the baseline, measured in the same run).
 *
 *   node dist/bench/density.js [--environments N] [--per-app K] [--rollouts R] [--awake-cap A] [--deploy-minutes M] [--profile] [--frozen-only]
 *
 * N environments (default 5,000; `--environments 500` for a quick run), K to an app (default 1:
 * every environment a separate tenant, with its own app network), R rollouts at once (default
 * 8: each lane deploys its next environment once its last release is decided, as pushes do),
 * all from ONE image (the Node
 * web app of test/support, built once). Apps, environments and their images' rows are written
 * in bulk; each environment is then deployed as a build would deploy it (ReleasesService →
 * rollout queue → scheduler placement committed in PostgreSQL → agent starts the container →
 * router routes it), with Berth's default settings (formation size, requests, host capacity).
 * Environments that do not fit on the host stay pending ("cannot be placed"), as a user's would.
 * With --awake-cap A, the oldest awake environments beyond A are put to sleep (stopped, their
 * containers kept) through the Sleeper while the others deploy, as idle previews fall asleep:
 * how thousands are deployed on one host. With --deploy-minutes M, no rollout begins after M
 * minutes and the run measures what was deployed by then (the JSON says it was cut short).
 *
 * Phases (each a function; a wake phase, once environments sleep, is one more: measureWake):
 *  1. baseline: `podman start` of a stopped container of the image until it answers HTTP;
 *  2. deploy: placements committed per second, most awake at once, memory per awake instance
 *     (memory cgroup, conmon monitor, growth of this process, which runs every Berth role);
 *  3. control plane at N routes: the router's reload for a new environment (database read,
 *     plan, configuration, validation, seamless reload) and HAProxy's memory; a scheduler
 *     round; one page of the apps list with statuses;
 *  4. wake: most healthy environments put to sleep by the Sleeper (sleepAfterMinutes set as the
 *     API's PATCH does, a minute lasting a second), then their first requests through the router,
 *     50 clients at once (on a worker thread, not on the loop of the Berth under test), against
 *     requests to the ones kept awake, the baseline again at that
 *     load, and where a wake's time goes (router, notification and agent round, engine start or
 *     thaw, probe, forward). Twice: first with the sleepers' containers FROZEN (the default
 *     first stage of sleep: woken by a thaw), then with them STOPPED (the deep stage, after
 *     AGENT_FREEZE_MINUTES or under memory pressure: woken by a start), forced by setting the
 *     agent's freeze window to 0 for that second run.
 * Each wake phase also says how late Berth's event loop ran and where the machine's CPU went
 * (by kind of process, from /proc); with --profile, a CPU profile of Berth's loop during the
 * concurrent wakes, summed by function (`loopProfile` in the JSON).
 * Prints a table and writes bench/results/density.json. Everything it creates carries the test
 * label or lives in its own database, and is removed at the end.
 */
import 'reflect-metadata';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { ContainerRuntime } from '@berth/agent';
import { AppsService, EnvironmentsService } from '@berth/tenant-apps';
import { environmentLabel } from '@berth/common';
import { BerthConfig, loadEnvFile, parseConfig } from '@berth/config';
import { ROUTABLE_INSTANCE } from '@berth/contracts';
import { PrismaService } from '@berth/db';
import { ReleasesService } from '@berth/releases';
import { EdgeRouter } from '@berth/router';
import { SchedulerLoop } from '@berth/scheduler';
import { Waker } from '@berth/sleep';
import { rootModuleFor } from '../apps/berth/src/bootstrap';
import { runningHaproxy } from '../libs/router/src/edge/haproxy.process';
import { ensureWebAppImage } from '../test/support/images';
import { freePort } from '../test/support/platform';
import { isolatedCluster, removeContainersOf, TEST_LABEL } from '../test/support/runtime';
import { option, percentile, sleep } from './support/cli';
import { cpuLine, CpuShare, cpuShare } from './support/cpu-share';
import { LoopProfile, profileLoop } from './support/loop-profile';
import { getFromWorker, toLocalClock } from './support/http-clients';

const BENCH_LABEL = 'berth.bench=density';

/** Proportional set size of a process in MB (its share of pages it shares with others). */
function pssMb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]) / 1024;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Whether 127.0.0.1:port answers GET / with 200 (fetch cannot set Host, so node:http). */
function answersHttp(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/', headers: { host }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

interface Baseline {
  podmanStartP50Ms: number | null;
  podmanStartP90Ms: number | null;
  starts: number;
}

/** A default web instance's limits, which the baseline's container gets too. */
interface Limits {
  memoryMb: number;
  cpu: number;
  /** RLIMIT_NPROC counts every task of the apps' shared user on the host: with the engine's default, hundreds of awake apps left the baseline's `node` unable to start (EAGAIN). */
  nproc: { soft: number; hard: number };
  nofile: { soft: number; hard: number };
}

/**
 * A podman command, not waited for synchronously: this process runs all of Berth, and a
 * synchronous `podman create` or `stop` of several seconds at load held up its event loop (the
 * agent's rounds and heartbeat: the host was once marked unreachable during the baselines).
 */
const execFileAsync = promisify(execFile);
const podman = (args: string[]) => execFileAsync('podman', args);

/**
 * The baseline: an existing stopped container of the image (same limits as a default web
 * instance), started with `podman start` until it answers HTTP, then stopped; ten times.
 */
async function measureBaseline(image: string, { memoryMb, cpu, nproc, nofile }: Limits, start?: (name: string) => Promise<unknown>): Promise<Baseline> {
  const name = `berth-bench-density-${randomBytes(4).toString('hex')}`;
  // A fixed host port: nothing but the start and the HTTP polls inside the timed span.
  const port = await freePort();
  await podman([
    'create', '--name', name, '--label', TEST_LABEL, '--label', BENCH_LABEL, '--init', '--memory', `${memoryMb}m`, '--cpus', String(cpu), '--ulimit', `nproc=${nproc.soft}:${nproc.hard}`, '--ulimit', `nofile=${nofile.soft}:${nofile.hard}`,
    '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--user', '65534:65534', '-e', 'PORT=5000', '-p', `127.0.0.1:${port}:5000`, image,
  ]);
  const times: number[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const t = Date.now();
      if (start) await start(name);
      else await podman(['start', name]);
      while (!(await answersHttp(port))) {
        if (Date.now() - t > 30_000) throw new Error('the baseline container did not answer within 30 s');
        await sleep(5);
      }
      times.push(Date.now() - t);
      await podman(['stop', '-t', '0', name]);
    }
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
  }
  return { podmanStartP50Ms: percentile(times, 50), podmanStartP90Ms: percentile(times, 90), starts: times.length };
}

interface DeployResult {
  environments: number;
  /** Environments whose release went active (deployed and answering) within the deploy phase. */
  deployedEnvironments: number;
  /** --awake-cap: while deploying, the oldest awake environments beyond this many were put to sleep (stopped); null: none. */
  awakeCap: number | null;
  /** Environments put to sleep while deploying (their containers stopped and kept), and those asleep at its end. */
  sleptWhileDeploying: number;
  asleepAtDeployEnd: number;
  /** --deploy-minutes: no new rollout began after this long; whether that cut the deploy short. */
  deployMinutes: number | null;
  deployCutShort: boolean;
  /** Containers of this host on the engine at the deploy's end (running, paused, stopped). */
  containersAtDeployEnd: number;
  placed: number;
  unplaced: number;
  awakeMax: number;
  placementsCommittedPerSecond: number | null;
  /** From the first release to the last one decided (active or failed), in seconds. */
  allHealthySeconds: number | null;
  /** Releases whose instance was not ready in time (AGENT_HEALTH_TIMEOUT_SECONDS, the rollout's wait). */
  failedReleases: number;
  memoryPerAwakeInstanceMb: { cgroup: number; monitor: number; berth: number; total: number } | null;
  /** Where the machine's CPU went while deploying (cores busy, by kind of process). */
  cpuDuringDeploy: CpuShare;
  routedChecked: number;
  routedAnswered: number;
}

interface ControlPlane {
  routes: number;
  routerReloadMs: number | null;
  routerMemoryMb: number | null;
  /** Every HAProxy process of the router (master, current worker, workers left from reloads still serving). */
  routerMemoryAllProcessesMb: number | null;
  schedulerRoundMs: number | null;
  appsPageMs: number | null;
}

interface Bench {
  db: PrismaService;
  releases: ReleasesService;
  router: EdgeRouter;
  scheduler: SchedulerLoop;
  apps: AppsService;
  environments: EnvironmentsService;
  waker: Waker;
  runtime: ContainerRuntime;
  config: BerthConfig;
  routerPort: number;
  hostName: string;
  teamId: string;
  userId: string;
  image: string;
  suffix: string;
}

/** Memory charged to containers' memory cgroups, and the PSS of their conmon monitors, in MB each (a sample of up to 100). */
function containerMemory(ids: string[]): { cgroupMb: number; monitorMb: number } {
  const sample = ids.slice(0, 100);
  if (!sample.length) return { cgroupMb: 0, monitorMb: 0 };
  const rows = execFileSync('podman', ['inspect', '-f', '{{.State.Pid}} {{.State.ConmonPid}}', ...sample]).toString().trim().split('\n');
  let cgroup = 0;
  let monitor = 0;
  for (const row of rows) {
    const [pid, conmon] = row.split(' ').map(Number);
    try {
      const path = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((line) => /:memory:/.test(line))?.split(':')[2];
      if (path) cgroup += Number(readFileSync(`/sys/fs/cgroup/memory${path}/memory.usage_in_bytes`, 'utf8')) / 2 ** 20;
    } catch {
      // stopped meanwhile
    }
    monitor += pssMb(conmon);
  }
  return { cgroupMb: cgroup / rows.length, monitorMb: monitor / rows.length };
}

/** Apps and environments (and a build and image row each, all naming the one image) written in bulk. */
async function createEnvironments(b: Bench, count: number, perApp: number, from: number): Promise<{ environmentId: string; imageId: string; hostname: string }[]> {
  const created: { environmentId: string; imageId: string; hostname: string }[] = [];
  for (let start = 0; start < count; start += 1000) {
    const apps: { id: string; teamId: string; name: string }[] = [];
    const environments: { id: string; appId: string; name: string; kind: 'production' | 'preview'; branch: string }[] = [];
    const builds: { id: string; appId: string; environmentId: string; commitSha: string; branch: string; status: 'succeeded' }[] = [];
    const images: { id: string; appId: string; buildId: string; digest: string; tag: string; sizeBytes: bigint; commitSha: string; processTypes: object }[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      const n = from + i;
      const appIndex = Math.floor(n / perApp);
      const appName = `bd${b.suffix}-${appIndex}`;
      if (n % perApp === 0) apps.push({ id: randomUUID(), teamId: b.teamId, name: appName });
      const appId = apps[apps.length - 1]?.id ?? (await b.db.app.findUniqueOrThrow({ where: { name: appName } })).id;
      const production = n % perApp === 0;
      const envName = production ? 'production' : `p${n % perApp}`;
      const environmentId = randomUUID();
      const commitSha = randomBytes(20).toString('hex');
      const buildId = randomUUID();
      const imageId = randomUUID();
      environments.push({ id: environmentId, appId, name: envName, kind: production ? 'production' : 'preview', branch: production ? 'main' : envName });
      builds.push({ id: buildId, appId, environmentId, commitSha, branch: production ? 'main' : envName, status: 'succeeded' });
      images.push({ id: imageId, appId, buildId, digest: `sha256:${randomBytes(32).toString('hex')}`, tag: b.image, sizeBytes: BigInt(0), commitSha, processTypes: { web: 'node /app/web-app.js' } });
      created.push({ environmentId, imageId, hostname: `${environmentLabel.format(appName, envName, production)}.localhost` });
    }
    await b.db.app.createMany({ data: apps });
    await b.db.environment.createMany({ data: environments });
    await b.db.build.createMany({ data: builds });
    await b.db.image.createMany({ data: images });
  }
  return created;
}

/**
 * Deploys every environment as a finished build does, then follows the instances: placed and
 * committed (host set in PostgreSQL), healthy, routed by the router.
 */
async function measureDeploy(b: Bench, count: number, perApp: number, rollouts: number, awakeCap: number | null, deployMinutes: number | null): Promise<DeployResult> {
  const envs = await createEnvironments(b, count, perApp, 0);
  const order = new Map(envs.map((env, i) => [env.environmentId, i]));
  // With a cap, environments beyond it sleep as others deploy, stopped at once (the deep stage;
  // frozen ones keep their memory), so thousands fit: the agent's freeze window is 0 meanwhile.
  const agentConfig = b.config.agent as { freezeMs: number };
  const freezeMs = agentConfig.freezeMs;
  if (awakeCap !== null) agentConfig.freezeMs = 0;
  let sleptWhileDeploying = 0;
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  let next = 0;
  // A few rollouts at a time, as pushes to the builders make them: each lane's next release comes
  // once its last one is decided (active, or failed), as a push's deploy follows its build. All
  // at once would time out rollouts that merely wait their turn at the engine (about four starts
  // a second here).
  let deployed = false;
  let givenUp = false;
  let cutShort = false;
  const deadline = deployMinutes === null ? Infinity : started + deployMinutes * 60_000;
  const deploying = Promise.all(
    Array.from({ length: rollouts }, async () => {
      while (next < envs.length && !givenUp) {
        if (Date.now() > deadline) {
          cutShort = true;
          break;
        }
        const env = envs[next++];
        const release = await b.releases.deployImage({ environmentId: env.environmentId, imageId: env.imageId, createdById: null });
        while (release) {
          const { status } = await b.db.release.findUniqueOrThrow({ where: { id: release.id }, select: { status: true } });
          if (status !== 'pending' && status !== 'deploying') break;
          await sleep(100);
        }
      }
    }),
  ).finally(() => (deployed = true));
  // The cap: the oldest awake environments beyond it are put to sleep through the Sleeper, as an
  // owner's PATCH {"sleepAfterMinutes": 1} makes it (a minute lasts a second here); once asleep,
  // back to null (asleep until a request), so that a wake later is not put straight back to sleep.
  let capping = true;
  const capped =
    awakeCap === null
      ? Promise.resolve()
      : (async () => {
          const falling = new Set<string>();
          while (capping) {
            await sleep(500);
            const awakeNow = await b.db.environment.findMany({
              where: { sleepingSince: null, instances: { some: ROUTABLE_INSTANCE } },
              select: { id: true, name: true, app: { select: { name: true } } },
            });
            const candidates = awakeNow.filter((e) => !falling.has(e.id)).sort((x, y) => (order.get(x.id) ?? 0) - (order.get(y.id) ?? 0));
            for (const e of candidates.slice(0, Math.max(0, candidates.length - awakeCap))) {
              falling.add(e.id);
              await b.environments.update(b.userId, e.app.name, e.name, { sleepAfterMinutes: 1 });
              sleptWhileDeploying++;
            }
            if (!falling.size) continue;
            const asleep = await b.db.environment.findMany({ where: { id: { in: [...falling] }, sleepingSince: { not: null } }, select: { id: true, name: true, app: { select: { name: true } } } });
            for (const e of asleep) {
              await b.environments.update(b.userId, e.app.name, e.name, { sleepAfterMinutes: null });
              falling.delete(e.id);
            }
          }
        })();
  let placed = 0;
  let lastPlacedAt = started;
  let awakeMax = 0;
  let allHealthyAt: number | null = null;
  let quietSince = Date.now();
  let activeMax = 0;
  let reportedAt = Date.now();
  const deployCpu = cpuShare();
  let lastCpu = cpuShare();
  // Until every release is decided (active, or failed: an instance that never became ready) and
  // no instance waits for placement without a reason.
  for (;;) {
    await sleep(250);
    const [nowPlaced, undecided, healthy, rolling] = await Promise.all([
      b.db.instance.count({ where: { hostId: { not: null } } }),
      b.db.instance.count({ where: { hostId: null, desiredState: 'running', reason: null } }),
      b.db.instance.count({ where: { healthy: true, actualState: 'running', desiredState: 'running' } }),
      b.db.release.count({ where: { status: { in: ['pending', 'deploying'] } } }),
    ]);
    const active = await b.db.release.count({ where: { status: 'active' } });
    if (Date.now() - reportedAt > 10_000) {
      reportedAt = Date.now();
      const states = await b.db.instance.groupBy({ by: ['actualState'], _count: true });
      const hosts = await b.db.host.findMany({ select: { name: true, state: true, memoryMb: true, cpuMillis: true } });
      const cpu = lastCpu.end();
      lastCpu = cpuShare();
      console.log(`  ${Math.round((Date.now() - started) / 1000)} s: ${active} releases active, ${rolling} rolling out, ${sleptWhileDeploying} put to sleep, ${nowPlaced} instances placed, ${undecided} waiting for placement, ${healthy} healthy; instances ${states.map((s) => `${s.actualState} ${s._count}`).join(', ')}; hosts ${hosts.map((h) => `${h.name} ${h.state} ${h.memoryMb} MB ${h.cpuMillis / 1000} CPU`).join(', ')}; ${cpuLine(cpu)}`);
    }
    if (nowPlaced > placed) {
      placed = nowPlaced;
      lastPlacedAt = Date.now();
    }
    if (healthy > awakeMax) awakeMax = healthy;
    if (active > activeMax) {
      activeMax = active;
      quietSince = Date.now();
    }
    if (deployed && rolling === 0 && undecided === 0) {
      allHealthyAt = Date.now();
      break;
    }
    if (Date.now() - quietSince > 300_000) {
      console.warn(`no release went active for 5 minutes (${healthy} healthy of ${placed} placed, ${rolling} releases rolling out); measuring what runs`);
      givenUp = true;
      break;
    }
  }
  const cpuDuringDeploy = deployCpu.end();
  await deploying;
  // The cap's last sleepers fall asleep (their containers stopped) before anything is measured.
  if (awakeCap !== null) {
    for (const waitedSince = Date.now(); Date.now() - waitedSince < 120_000; ) {
      const falling = await b.db.environment.count({ where: { sleepAfterMinutes: { not: null } } });
      const stopping = await b.db.instance.count({ where: { desiredState: 'stopped', actualState: { not: 'stopped' } } });
      if (!falling && !stopping) break;
      await sleep(500);
    }
  }
  capping = false;
  await capped;
  agentConfig.freezeMs = freezeMs;
  const deployedEnvironments = await b.db.release.count({ where: { status: 'active' } });
  const asleepAtDeployEnd = await b.db.environment.count({ where: { sleepingSince: { not: null } } });
  const containersAtDeployEnd = execFileSync('podman', ['ps', '-aq', '--filter', `label=berth.host=${b.hostName}`]).toString().trim().split('\n').filter(Boolean).length;
  const failedReleases = await b.db.release.count({ where: { status: 'failed' } });
  const unplaced = await b.db.instance.count({ where: { hostId: null, desiredState: 'running' } });
  // The router knows every environment once its poll or notifications caught up.
  await b.router.refresh();
  const awake = envs.filter((env) => (b.router.route(env.hostname)?.backends.length ?? 0) > 0);
  const sample = awake.sort(() => Math.random() - 0.5).slice(0, 50);
  const answered = (await Promise.all(sample.map((env) => answersHttp(b.routerPort, env.hostname)))).filter(Boolean).length;
  await sleep(3000); // memory settles
  const ids = execFileSync('podman', ['ps', '-q', '--no-trunc', '--filter', `label=berth.host=${b.hostName}`]).toString().trim().split('\n').filter(Boolean);
  const { cgroupMb, monitorMb } = containerMemory(ids);
  const berthMb = ids.length ? (process.memoryUsage().rss - rssBefore) / 2 ** 20 / ids.length : 0;
  const placingSeconds = (lastPlacedAt - started) / 1000;
  return {
    environments: count,
    deployedEnvironments,
    awakeCap,
    sleptWhileDeploying,
    asleepAtDeployEnd,
    deployMinutes,
    deployCutShort: cutShort,
    containersAtDeployEnd,
    placed,
    unplaced,
    awakeMax,
    placementsCommittedPerSecond: placed && placingSeconds > 0 ? placed / placingSeconds : null,
    allHealthySeconds: allHealthyAt === null ? null : (allHealthyAt - started) / 1000,
    failedReleases,
    memoryPerAwakeInstanceMb: ids.length ? { cgroup: cgroupMb, monitor: monitorMb, berth: berthMb, total: cgroupMb + monitorMb + berthMb } : null,
    cpuDuringDeploy,
    routedChecked: sample.length,
    routedAnswered: answered,
  };
}

/** The router's HAProxy: master, current worker, and the memory of all its processes. */
function haproxyMemory(dir: string): { worker: number; all: number } | null {
  const master = runningHaproxy(dir);
  if (master === null) return null;
  const workers = childrenOf(master);
  const newest = Math.max(...workers);
  return { worker: pssMb(master) + pssMb(newest), all: pssMb(master) + workers.reduce((sum, pid) => sum + pssMb(pid), 0) };
}

/**
 * The control plane at `routes` environments: adds environments with nothing running (as
 * sleeping ones will be) up to that many, then times what each new environment and each round costs.
 */
async function measureControlPlane(b: Bench, routes: number, existing: number, perApp: number): Promise<ControlPlane> {
  if (routes > existing) await createEnvironments(b, routes - existing, perApp, existing);
  await b.router.refresh(); // the reload to `routes` backends
  const reloads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [env] = await createEnvironments(b, 1, 1, routes + i * 1000); // an app of its own: a new route
    const t = Date.now();
    await b.router.refresh(env.environmentId);
    reloads.push(Date.now() - t);
  }
  await sleep(2000);
  const memory = haproxyMemory(b.router.dir);
  const rounds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = Date.now();
    await b.scheduler.round();
    rounds.push(Date.now() - t);
  }
  const pages: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = Date.now();
    await b.apps.page(b.userId, { limit: 48 });
    pages.push(Date.now() - t);
  }
  return {
    routes: await b.db.environment.count(),
    routerReloadMs: percentile(reloads, 50),
    routerMemoryMb: memory?.worker ?? null,
    routerMemoryAllProcessesMb: memory?.all ?? null,
    schedulerRoundMs: percentile(rounds, 50),
    appsPageMs: percentile(pages, 50),
  };
}

type SleepKind = 'frozen' | 'stopped';

interface WakeResult {
  /** How the sleepers' containers slept: frozen (woken by a thaw) or stopped (woken by a start). */
  kind: SleepKind;
  /** Their containers on the engine when the wakes began: paused, exited, other. */
  containersAtWake: { paused: number; exited: number; other: number };
  /** Environments put to sleep through the Sleeper (sleepAfterMinutes set as PATCH does), and kept awake beside them. */
  slept: number;
  keptAwake: number;
  /** Seconds from setting sleepAfterMinutes until every one of them was asleep with its container stopped. */
  fallAsleepSeconds: number | null;
  /** First requests to sleeping environments through the router, 50 clients at once: until the app's own answer. */
  wakes: number;
  wakeP50Ms: number | null;
  wakeP99Ms: number | null;
  wakeFailed: number | null;
  wakeFailures: string[];
  /** The same, one wake at a time (nothing else waking). */
  wakeAloneP50Ms: number | null;
  /** A request to an awake environment through the router, 50 clients at once. */
  awakeP50Ms: number | null;
  awakeP99Ms: number | null;
  /** wakeP50Ms - awakeP50Ms. */
  wakeAddedP50Ms: number | null;
  wakeAddedP99Ms: number | null;
  /** Where a wake's time goes (p50 of each step over the concurrent wakes, ms). */
  wakeSteps: {
    /** Client → HAProxy → router's status server → Waker.wake called. */
    toWaker: number | null;
    /** From the Waker to its transaction committed (environment awake, room booked) and the agent told. */
    toClaimed: number | null;
    /** From there (Redis notification, the agent's round) to the agent's call of the engine's start or unpause. */
    toStart: number | null;
    /** The engine's start (stopped) or unpause (frozen) of the kept container (Docker API on Podman). */
    engineStart: number | null;
    /** Started → the agent's probe answered, marked healthy, the Waker heard of it. */
    toHealthy: number | null;
    /** The held request forwarded to the instance and its answer back to the client. */
    forward: number | null;
  } | null;
  /** The same steps for the wakes one at a time. */
  wakeStepsAlone: WakeResult['wakeSteps'];
  /** podman start → HTTP of a stopped container, measured right before the wakes, with the same instances awake. */
  baselineAtWake: Baseline | null;
  /** The same through the engine's API (Docker API on Podman, as the agent starts a kept container). */
  baselineApiAtWake: Baseline | null;
  /**
   * How late Berth's event loop ran its callbacks (ms) while the 50 clients' wakes were under
   * way: the held requests are forwarded on that loop, beside the agent's and scheduler's work.
   */
  loopDelayDuringWakes: { p50: number; p99: number; max: number } | null;
  /** Where the machine's CPU went meanwhile (cores busy, by kind of process). */
  cpuDuringWakes: CpuShare | null;
  /** The same during the requests to awake environments (no wake). */
  cpuDuringAwake: CpuShare | null;
  /** With --profile: what Berth's event loop spent its time on during the concurrent wakes. */
  loopProfile?: LoopProfile;
}

const CLIENTS = 50;

/**
 * States of these instances' containers as the agent sees them: paused (frozen: by the kernel's
 * freezer, which the engine does not know of, or the engine's pause), exited, other.
 */
async function containerStates(b: Bench, instanceIds: Set<string>): Promise<WakeResult['containersAtWake']> {
  const counts = { paused: 0, exited: 0, other: 0 };
  for (const c of await b.runtime.list(b.hostName)) {
    if (!c.instanceId || !instanceIds.has(c.instanceId)) continue;
    if (c.paused) counts.paused++;
    else if (!c.running) counts.exited++;
    else counts.other++;
  }
  return counts;
}

/**
 * First requests to sleeping environments through the router. Most healthy environments are put
 * to sleep by the real mechanism (sleepAfterMinutes set through EnvironmentsService.update, what
 * the API's PATCH calls; SLEEP_MINUTE_SECONDS makes a minute a second here; the Sleeper stops
 * their instances, the agent freezes or stops and keeps their containers); a third stay awake. Then 50
 * clients at once each take random sleeping environments and send each one's first request
 * through HAProxy, timed until the app's own answer. The Waker, the agent's engine start (or
 * unpause) and the clients are timed side by side to say where a wake's time goes. `kind` says
 * whether the sleepers' containers are frozen (the default) or stopped (deep sleep) at the wakes.
 */
async function measureWake(b: Bench, image: string, limits: Limits, kind: SleepKind, withBaselines = true): Promise<WakeResult> {
  const healthy = await b.db.environment.findMany({
    where: { instances: { some: ROUTABLE_INSTANCE }, releases: { some: { status: 'active' } } },
    select: { id: true, name: true, kind: true, app: { select: { name: true } } },
  });
  const hostnameOf = (e: (typeof healthy)[number]) => `${environmentLabel.format(e.app.name, e.name, e.kind === 'production')}.localhost`;
  const shuffled = healthy.sort(() => Math.random() - 0.5);
  const keep = Math.max(1, Math.floor(shuffled.length / 3));
  const awake = shuffled.slice(0, keep);
  const sleepers = shuffled.slice(keep);
  const empty: WakeResult = {
    kind, containersAtWake: { paused: 0, exited: 0, other: 0 },
    slept: 0, keptAwake: awake.length, fallAsleepSeconds: null, wakes: 0, wakeP50Ms: null, wakeP99Ms: null, wakeFailed: null, wakeFailures: [],
    wakeAloneP50Ms: null, awakeP50Ms: null, awakeP99Ms: null, wakeAddedP50Ms: null, wakeAddedP99Ms: null, wakeSteps: null, wakeStepsAlone: null, baselineAtWake: null, baselineApiAtWake: null, loopDelayDuringWakes: null, cpuDuringWakes: null, cpuDuringAwake: null,
  };
  if (!sleepers.length) return empty;

  // Frozen (the default) or stopped at once (the agent's freeze window 0, as AGENT_FREEZE_MINUTES=0 makes it).
  const agentConfig = b.config.agent as { freezeMs: number };
  const freezeMs = agentConfig.freezeMs;
  if (kind === 'stopped') agentConfig.freezeMs = 0;
  // Asleep through the Sleeper, as an owner's PATCH {"sleepAfterMinutes": 1} makes it.
  const environments = b.environments;
  const asked = Date.now();
  for (const e of sleepers) await environments.update(b.userId, e.app.name, e.name, { sleepAfterMinutes: 1 });
  const ids = sleepers.map((e) => e.id);
  let fallAsleepSeconds: number | null = null;
  for (;;) {
    await sleep(500);
    const [asleep, stillUp] = await Promise.all([
      b.db.environment.count({ where: { id: { in: ids }, sleepingSince: { not: null } } }),
      b.db.instance.count({ where: { environmentId: { in: ids }, OR: [{ desiredState: 'running' }, { actualState: { not: 'stopped' } }] } }),
    ]);
    if (asleep === ids.length && stillUp === 0) {
      fallAsleepSeconds = (Date.now() - asked) / 1000;
      break;
    }
    if (Date.now() - asked > 300_000) {
      console.warn(`after 5 minutes ${asleep} of ${ids.length} environments asleep, ${stillUp} of their instances not stopped yet; waking what sleeps`);
      break;
    }
  }
  // Back to never sleeping by itself (null leaves a sleeping environment asleep until its next
  // request): a minute lasts a second here, so a woken environment would otherwise be put back
  // to sleep a second after its wake, before its first request is answered.
  for (const e of sleepers) await environments.update(b.userId, e.app.name, e.name, { sleepAfterMinutes: null });
  await b.router.refresh();
  const sleeping = (await b.db.environment.findMany({ where: { id: { in: ids }, sleepingSince: { not: null } }, select: { id: true } })).map((e) => e.id);
  const asleepSet = new Set(sleeping);
  const targets = sleepers.filter((e) => asleepSet.has(e.id));
  const instanceIds = new Set((await b.db.instance.findMany({ where: { environmentId: { in: sleeping } }, select: { id: true } })).map((i) => i.id));
  const expected = kind === 'frozen' ? 'paused' : 'exited';
  let containersAtWake = await containerStates(b, instanceIds);
  for (const waitedSince = Date.now(); containersAtWake[expected] < instanceIds.size && Date.now() - waitedSince < 60_000; ) {
    await sleep(500);
    containersAtWake = await containerStates(b, instanceIds);
  }
  agentConfig.freezeMs = freezeMs;
  console.log(
    `asleep (${kind}): ${targets.length} of ${sleepers.length} after ${fallAsleepSeconds ?? '—'} s; ${awake.length} kept awake; their containers ${containersAtWake.paused} paused, ${containersAtWake.exited} exited, ${containersAtWake.other} other`,
  );

  // The baseline under the same load: the awake instances running, as they are during the wakes.
  // A baseline that cannot answer at that load is reported as missing; the wakes are still measured.
  const atLoad = (measuring: Promise<Baseline>) =>
    measuring.catch((error: Error) => {
      console.warn(`baseline at the wakes' load not measured: ${error.message}`);
      return null;
    });
  const baselineAtWake = withBaselines ? await atLoad(measureBaseline(image, limits)) : null;
  // The same start through the engine's API (what the agent calls) rather than the podman CLI.
  const baselineApiAtWake = withBaselines ? await atLoad(measureBaseline(image, limits, (name) => b.runtime.start(name))) : null;

  // Requests to awake environments, 50 clients at once: what a request costs without a wake.
  // The clients run on their own thread: on this process's loop they would wait behind Berth.
  const awakeHosts = Array.from({ length: Math.max(200, awake.length) }, () => hostnameOf(awake[Math.floor(Math.random() * awake.length)]));
  const awakeCpu = cpuShare();
  const awakeTimes = (await getFromWorker(b.routerPort, awakeHosts, CLIENTS)).filter((a) => a.status === 200).map((a) => a.ms);
  const cpuDuringAwake = awakeCpu.end();

  // Steps of each wake, timed inside the router's Waker and the agent's engine calls (start or unpause).
  const containerEnv = new Map<string, string>();
  for (const row of await b.db.instance.findMany({ where: { environmentId: { in: sleeping } }, select: { containerId: true, environmentId: true } })) {
    if (row.containerId) containerEnv.set(row.containerId, row.environmentId);
  }
  const steps = new Map<string, { sent?: number; waker?: number; claimed?: number; startBegin?: number; startEnd?: number; woke?: number; answered?: number }>();
  const step = (id: string) => steps.get(id) ?? steps.set(id, {}).get(id)!;
  const waker = b.waker as unknown as { wake: (id: string) => Promise<unknown> };
  const wake = waker.wake.bind(waker);
  waker.wake = (id: string) => {
    const s = step(id);
    s.waker ??= performance.now();
    const promise = wake(id);
    promise.then(() => (s.woke ??= performance.now())).catch(() => undefined);
    return promise;
  };
  // Claimed: the environment flipped awake and its room on the host booked (one transaction), the agent told.
  const claiming = b.waker as unknown as { startInstances: (id: string) => Promise<unknown> };
  const startInstances = claiming.startInstances.bind(claiming);
  claiming.startInstances = (id: string) => startInstances(id).finally(() => (step(id).claimed ??= performance.now()));
  const runtime = b.runtime as unknown as { start: (id: string) => Promise<unknown>; unpause: (id: string) => Promise<unknown> };
  const timed = (call: (id: string) => Promise<unknown>) => async (id: string) => {
    const env = containerEnv.get(id) ?? [...containerEnv].find(([full]) => full.startsWith(id) || id.startsWith(full))?.[1];
    const s = env ? step(env) : undefined;
    if (s) s.startBegin ??= performance.now();
    try {
      return await call(id);
    } finally {
      if (s) s.startEnd ??= performance.now();
    }
  };
  const start = runtime.start.bind(runtime);
  const unpause = runtime.unpause.bind(runtime);
  runtime.start = timed(start);
  runtime.unpause = timed(unpause);

  const failures: string[] = [];
  const wakeTimes: number[] = [];
  const byHost = new Map(targets.map((e) => [hostnameOf(e), e.id]));
  const send = async (batch: (typeof targets)[number][], clients: number) => {
    const answers = await getFromWorker(b.routerPort, batch.map(hostnameOf), clients);
    for (const answer of answers) {
      const s = step(byHost.get(answer.host)!);
      s.sent = toLocalClock(answer.sentAt);
      s.answered = toLocalClock(answer.answeredAt);
      if (answer.status === 200 && answer.body === 'app') wakeTimes.push(answer.ms);
      else failures.push(`${answer.host}: ${answer.error ?? `${answer.status} ${answer.body.split('\n').slice(0, 3).join(' ').slice(0, 200)}`}`);
    }
    return answers;
  };
  // A few alone first (nothing else waking), then the rest with 50 clients at once.
  const queue = [...targets];
  const alone = queue.splice(0, queue.length >= 2 ? Math.max(1, Math.min(5, Math.floor(queue.length / 10))) : 0);
  const aloneTimes: number[] = [];
  for (const e of alone) {
    for (const answer of await send([e], 1)) if (answer.status === 200) aloneTimes.push(answer.ms);
  }
  const concurrent = new Set(queue.map((e) => e.id));
  wakeTimes.length = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const wakesCpu = cpuShare();
  const profiling = process.argv.includes('--profile') ? await profileLoop() : null;
  await send(queue, CLIENTS);
  const loopProfile = await profiling?.stop();
  const cpuDuringWakes = wakesCpu.end();
  loopDelay.disable();
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const loopDelayDuringWakes = loopDelay.count > 0 ? { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) } : null;
  waker.wake = wake;
  claiming.startInstances = startInstances;
  runtime.start = start;
  runtime.unpause = unpause;

  type Step = keyof NonNullable<ReturnType<typeof steps.get>>;
  const stepsOf = (ids: Set<string>) => {
    const of = (from: Step, to: Step) => percentile([...steps].filter(([id, s]) => ids.has(id) && s[from] !== undefined && s[to] !== undefined).map(([, s]) => s[to]! - s[from]!), 50);
    return { toWaker: of('sent', 'waker'), toClaimed: of('waker', 'claimed'), toStart: of('claimed', 'startBegin'), engineStart: of('startBegin', 'startEnd'), toHealthy: of('startEnd', 'woke'), forward: of('woke', 'answered') };
  };
  const p = (values: number[], q: number) => percentile(values, q);
  const awakeP50 = p(awakeTimes, 50);
  const awakeP99 = p(awakeTimes, 99);
  const wakeP50 = p(wakeTimes, 50);
  const wakeP99 = p(wakeTimes, 99);
  return {
    kind,
    containersAtWake,
    slept: sleeping.length,
    keptAwake: awake.length,
    fallAsleepSeconds,
    wakes: concurrent.size,
    wakeP50Ms: wakeP50,
    wakeP99Ms: wakeP99,
    wakeFailed: failures.length,
    wakeFailures: failures.slice(0, 20),
    wakeAloneP50Ms: p(aloneTimes, 50),
    awakeP50Ms: awakeP50,
    awakeP99Ms: awakeP99,
    wakeAddedP50Ms: wakeP50 !== null && awakeP50 !== null ? wakeP50 - awakeP50 : null,
    wakeAddedP99Ms: wakeP99 !== null && awakeP99 !== null ? wakeP99 - awakeP99 : null,
    wakeSteps: stepsOf(concurrent),
    wakeStepsAlone: alone.length ? stepsOf(new Set(alone.map((e) => e.id))) : null,
    baselineAtWake,
    baselineApiAtWake,
    loopDelayDuringWakes,
    cpuDuringWakes,
    cpuDuringAwake,
    ...(loopProfile ? { loopProfile } : {}),
  };
}

/**
 * The Node web app of test/support with busybox as /bin/sh and /bin/true (Berth runs a process
 * type's command through `sh -c`, and prepares an image's disk template with `true`): the one image every environment runs, built once per run.
 */
function ensureNodeWebImage(suffix: string): string {
  const base = ensureWebAppImage();
  const tag = `localhost/berth-bench/density-node:${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-density-image-'));
  try {
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    writeFileSync(join(dir, 'Containerfile'), `FROM ${base}\nCOPY busybox /bin/sh\nCOPY busybox /bin/true\n`);
    execFileSync('podman', ['build', '-q', '--no-cache', '--label', TEST_LABEL, '--label', BENCH_LABEL, '-t', tag, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tag;
}

async function main(): Promise<void> {
  loadEnvFile(); // PostgreSQL and Redis as `npm start` finds them (.env fills what is not exported)
  const environments = option('environments', 5000);
  const perApp = option('per-app', 1);
  const rollouts = option('rollouts', 8);
  const awakeCap = process.argv.includes('--awake-cap') ? option('awake-cap', 1) : null;
  const deployMinutes = process.argv.includes('--deploy-minutes') ? option('deploy-minutes', 1) : null;
  const suffix = randomBytes(3).toString('hex');
  const image = ensureNodeWebImage(suffix);
  const secretKey = randomBytes(32).toString('hex');
  const defaults = parseConfig({ ...process.env, BERTH_SECRET_KEY: secretKey });
  console.log(`${environments} environments (${perApp} to an app) of one image, ${image}; Berth's default settings`);

  const limits: Limits = { memoryMb: defaults.formation.production.memoryMb, cpu: defaults.formation.production.cpuMillis / 1000, nproc: defaults.agent.ulimits.nproc, nofile: defaults.agent.ulimits.nofile };
  const baseline = await measureBaseline(image, limits);
  console.log(`baseline: podman start until HTTP answers, p50 ${baseline.podmanStartP50Ms} ms`);

  const cluster = await isolatedCluster({ adminUrl: defaults.database.url, databaseName: `berth_bench_${suffix}`, redisPrefix: `berth_bench_${suffix}` });
  const hostName = `bench-density-${suffix}`;
  const routerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-density-'));
  const config = parseConfig({
    ...process.env,
    ...cluster.env,
    BERTH_ENV_FILE: 'none',
    BERTH_SECRET_KEY: secretKey,
    BERTH_HOST_NAME: hostName,
    BERTH_DATA_DIR: dataDir,
    ROUTER_PORT: String(routerPort),
    ROUTER_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Only environments the wake phase gives sleepAfterMinutes sleep (bulk-made ones have none):
    // there a minute lasts a second and the Sleeper looks every second.
    SLEEP_MINUTE_SECONDS: '1',
    SLEEP_CHECK_SECONDS: '1',
    // The agent's container view from the engine's events (off by default for now; see README).
    AGENT_CONTAINER_RESYNC_SECONDS: '30',
  });
  // Interrupted: the platform stops first (its agent would start what is being removed), then
  // what it made on Podman (containers, disks, app networks) and its database go all the same.
  let opened: { close(): Promise<void> } | undefined;
  const interrupted = () => {
    // The deploy lanes still running fail as the platform closes: that must not end the clean-up.
    process.on('unhandledRejection', () => undefined);
    void (async () => {
      await Promise.race([opened?.close(), sleep(15_000)]).catch(() => undefined);
      removeContainersOf([hostName]);
      await cluster.drop();
      execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
    })().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const context = await NestFactory.createApplicationContext(rootModuleFor(config, ['scheduler', 'agent', 'router']), { logger: ['error', 'warn'] });
  opened = context;
  await context.init();
  const db = context.get(PrismaService);
  let result: object | undefined;
  try {
    const user = await db.user.create({ data: { email: `bench-${suffix}@example.com`, passwordHash: 'x' } });
    const team = await db.team.create({ data: { name: `bench-${suffix}`, memberships: { create: { userId: user.id, role: 'owner' } } } });
    const bench: Bench = {
      db,
      releases: context.get(ReleasesService, { strict: false }),
      router: context.get(EdgeRouter, { strict: false }),
      scheduler: context.get(SchedulerLoop, { strict: false }),
      apps: context.get(AppsService, { strict: false }),
      environments: context.get(EnvironmentsService, { strict: false }),
      waker: context.get(Waker, { strict: false }),
      runtime: context.get(ContainerRuntime, { strict: false }),
      config: context.get(BerthConfig, { strict: false }),
      routerPort,
      hostName,
      teamId: team.id,
      userId: user.id,
      image,
      suffix,
    };
    const deploy = await measureDeploy(bench, environments, perApp, rollouts, awakeCap, deployMinutes);
    console.log(
      `deployed: ${deploy.deployedEnvironments} of ${environments} environments${deploy.deployCutShort ? ` (cut short at ${deployMinutes} min)` : ''}; ${deploy.placed} placed, ${deploy.unplaced} unplaced, ${deploy.awakeMax} awake at most, ${deploy.asleepAtDeployEnd} asleep, ${deploy.containersAtDeployEnd} containers`,
    );
    // Wakes of frozen sleepers (the first stage of sleep, the default), then of stopped ones (the deep stage).
    const wake = await measureWake(bench, image, limits, 'frozen');
    // --frozen-only: no deep-sleep phase (a quicker run when only the thaws are studied).
    const deepWake = process.argv.includes('--frozen-only') ? undefined : await measureWake(bench, image, limits, 'stopped', false);
    const controlPlane = await measureControlPlane(bench, environments, environments, perApp);
    result = { ...deploy, perApp, image, baseline, ...controlPlane, ...wake, deepWake };
    print(result as Record<string, unknown>, baseline);
    for (const failure of wake.wakeFailures) console.log(`  failed wake (frozen): ${failure}`);
    for (const failure of deepWake?.wakeFailures ?? []) console.log(`  failed wake (stopped): ${failure}`);
  } finally {
    await context.close();
    removeContainersOf([hostName]);
    await cluster.drop();
    rmSync(dataDir, { recursive: true, force: true });
    execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
  }
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'density.json'), JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2) + '\n');
}

function print(r: Record<string, unknown>, baseline: Baseline): void {
  const f = (v: unknown, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : v === null || v === undefined ? '—' : String(v));
  const memory = r.memoryPerAwakeInstanceMb as DeployResult['memoryPerAwakeInstanceMb'];
  const steps = r.wakeSteps as WakeResult['wakeSteps'];
  const wakeBaseline = r.baselineAtWake as Baseline | null;
  const apiBaseline = r.baselineApiAtWake as Baseline | null;
  const deep = r.deepWake as WakeResult | undefined;
  const containersText = (c: WakeResult['containersAtWake'] | undefined) => (c ? `${c.paused} / ${c.exited} / ${c.other}` : '—');
  const loopText = (d: WakeResult['loopDelayDuringWakes']) => (d ? `${f(d.p50, 0)} / ${f(d.p99, 0)} / ${f(d.max, 0)}` : '—');
  const cpuText = (c: CpuShare | null) => (c ? cpuLine(c) : '—');
  const stepsText = (st: WakeResult['wakeSteps']) => (st ? [st.toWaker, st.toClaimed, st.toStart, st.engineStart, st.toHealthy, st.forward].map((v) => f(v, 0)).join(', ') : '—');
  const rows: [string, string, string][] = [
    ['', 'Berth', 'baseline'],
    ['environments deployed of asked (routes)', `${r.deployedEnvironments} of ${r.environments} (${r.routes})${r.deployCutShort ? `, cut short at ${r.deployMinutes} min` : ''}`, ''],
    ['awake at most / unplaced', `${r.awakeMax} / ${r.unplaced}`, ''],
    ['awake cap; put to sleep while deploying; asleep at the end; containers', `${r.awakeCap ?? 'none'}; ${r.sleptWhileDeploying}; ${r.asleepAtDeployEnd}; ${r.containersAtDeployEnd}`, ''],
    ['placements committed per second', f(r.placementsCommittedPerSecond), ''],
    ['first release → all rolled out (s); failed releases', `${f(r.allHealthySeconds)}; ${r.failedReleases}`, ''],
    ['memory per awake instance: cgroup MB', f(memory?.cgroup, 2), ''],
    ['  conmon monitor MB', f(memory?.monitor, 2), ''],
    ['  Berth process growth MB', f(memory?.berth, 2), ''],
    ['cores busy while deploying (berth: its event loop; unattributed: processes ended meanwhile)', cpuText(r.cpuDuringDeploy as CpuShare | null), ''],
    ['routed requests answered', `${r.routedAnswered}/${r.routedChecked}`, ''],
    ['router reload for a new environment (ms)', f(r.routerReloadMs, 0), ''],
    ['HAProxy memory: master + worker (all processes) MB', `${f(r.routerMemoryMb)} (${f(r.routerMemoryAllProcessesMb)})`, ''],
    ['scheduler round (ms)', f(r.schedulerRoundMs, 0), ''],
    ['apps list page of 48 with statuses (ms)', f(r.appsPageMs, 0), ''],
    ['FROZEN sleepers (woken by a thaw): asleep / kept awake; all asleep after (s)', `${r.slept} / ${r.keptAwake}; ${f(r.fallAsleepSeconds)}`, ''],
    ['  their containers at the wakes: paused / exited / other', containersText(r.containersAtWake as WakeResult['containersAtWake']), ''],
    [`first request to a sleeping env, ${CLIENTS} clients: p50 / p99 ms (failed)`, `${f(r.wakeP50Ms, 0)} / ${f(r.wakeP99Ms, 0)} (${f(r.wakeFailed, 0)} of ${r.wakes})`, `podman start → HTTP: p50 ${f(baseline.podmanStartP50Ms, 0)}, p90 ${f(baseline.podmanStartP90Ms, 0)}`],
    ['  one wake at a time p50 ms', f(r.wakeAloneP50Ms, 0), `same load: p50 ${f(wakeBaseline?.podmanStartP50Ms, 0)}, p90 ${f(wakeBaseline?.podmanStartP90Ms, 0)}`],
    ['', '', `engine API start → HTTP: p50 ${f(apiBaseline?.podmanStartP50Ms, 0)}, p90 ${f(apiBaseline?.podmanStartP90Ms, 0)}`],
    [`request to an awake env, ${CLIENTS} clients: p50 / p99 ms`, `${f(r.awakeP50Ms, 0)} / ${f(r.awakeP99Ms, 0)}`, ''],
    ['added by a wake: p50 / p99 ms', `${f(r.wakeAddedP50Ms, 0)} / ${f(r.wakeAddedP99Ms, 0)}`, ''],
    ['  wake steps p50 ms: to Waker, claimed, to thaw, engine unpause, to healthy, forward', stepsText(steps), ''],
    ['  the same, one wake at a time', stepsText(r.wakeStepsAlone as WakeResult['wakeSteps']), ''],
    ['  Berth\'s event loop late by, during the wakes: p50 / p99 / max ms', loopText(r.loopDelayDuringWakes as WakeResult['loopDelayDuringWakes']), ''],
    ['  cores busy during the wakes', cpuText(r.cpuDuringWakes as CpuShare | null), ''],
    ['  the same during the requests to awake envs', cpuText(r.cpuDuringAwake as CpuShare | null), ''],
    ...(deep
      ? ([
          ['STOPPED sleepers (deep sleep, woken by a start): asleep / kept awake; all asleep after (s)', `${deep.slept} / ${deep.keptAwake}; ${f(deep.fallAsleepSeconds)}`, ''],
          ['  their containers at the wakes: paused / exited / other', containersText(deep.containersAtWake), ''],
          [`first request to a sleeping env, ${CLIENTS} clients: p50 / p99 ms (failed)`, `${f(deep.wakeP50Ms, 0)} / ${f(deep.wakeP99Ms, 0)} (${f(deep.wakeFailed, 0)} of ${deep.wakes})`, ''],
          ['  one wake at a time p50 ms', f(deep.wakeAloneP50Ms, 0), ''],
          ['  added by a wake: p50 / p99 ms', `${f(deep.wakeAddedP50Ms, 0)} / ${f(deep.wakeAddedP99Ms, 0)}`, ''],
          ['  wake steps p50 ms: to Waker, claimed, to start, engine start, to healthy, forward', stepsText(deep.wakeSteps), ''],
          ['  the same, one wake at a time', stepsText(deep.wakeStepsAlone), ''],
          ['  Berth\'s event loop late by, during the wakes: p50 / p99 / max ms', loopText(deep.loopDelayDuringWakes), ''],
          ['  cores busy during the wakes', cpuText(deep.cpuDuringWakes), ''],
        ] as [string, string, string][])
      : []),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  for (const [kind, profile] of [['frozen', r.loopProfile as LoopProfile | undefined], ['stopped', deep?.loopProfile]] as const) {
    if (!profile) continue;
    console.log(`\nBerth's event loop during the ${kind} sleepers' wakes: ${profile.sampledMs} ms sampled, ${profile.idleMs} idle; by origin (ms): ${Object.entries(profile.byOrigin).map(([o, ms]) => `${o} ${ms}`).join(', ')}`);
    for (const { fn, ms } of profile.top.slice(0, 12)) console.log(`  ${String(ms).padStart(6)} ms  ${fn}`);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
