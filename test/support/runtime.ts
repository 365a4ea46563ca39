import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Redis from 'ioredis';
import { Client } from 'pg';
import { INestApplicationContext } from '@nestjs/common';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { PrismaService } from '@berth/db';
import { BuildReleaser, DeployFollower } from '@berth/releases';
import { ensureBusyboxImage } from './images';
import { removeImagesOf } from './builds';
import { dropDatabase } from './databases';
import { freePort, startPlatform, startRoles, RunningPlatform } from './platform';
import { unique } from './users';

/** Label on every image and container these tests make, so they clean up only their own. */
export const TEST_LABEL = 'berth.test=runtime';

/** Timings that keep container tests short. */
export const FAST = {
  SCHEDULER_INTERVAL_MS: '300',
  HOST_DOWN_AFTER_SECONDS: '3',
  HOST_LOST_AFTER_SECONDS: '6',
  ROLLOUT_DRAIN_SECONDS: '0.3',
  ROLLOUT_TIMEOUT_SECONDS: '40',
  AGENT_RECONCILE_MS: '500',
  AGENT_HEARTBEAT_SECONDS: '1',
  AGENT_HEALTH_TIMEOUT_SECONDS: '15',
  AGENT_RESTART_BACKOFF_MAX_SECONDS: '2',
  AGENT_STOP_TIMEOUT_SECONDS: '2',
};

// CRLF: Node's HTTP parser refuses bare LF after a header.
const CGI_HEADER = "printf 'Content-Type: text/plain\\r\\n\\r\\n'";
const CGI: Record<string, string> = {
  // What the container sees of its limits, from inside its own cgroup.
  limits: `${CGI_HEADER}
echo "memory $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
echo "memsw $(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo none)"
echo "quota $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)"
echo "period $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
echo "pids $(cat /sys/fs/cgroup/pids/pids.max)"
echo "uid $(id -u)"
echo "nofile $(ulimit -n)"
grep -E '^(CapEff|NoNewPrivs)' /proc/self/status | tr -d '\\t' | sed 's/:/ /'
ls /run/podman/podman.sock /var/run/docker.sock 2>/dev/null | sed 's/^/socket /'`,
  env: `${CGI_HEADER}
env | sort`,
  // Makes the web process allocate far past its limit (see the eat process type).
  eat: `${CGI_HEADER}
touch /tmp/eat; echo eating`,
  // Forks as fast as it can; each looper also leaves a sleeper behind, so the cgroup stays full.
  bomb: `${CGI_HEADER}
echo bombing
( b() { while :; do sleep 300 & b & done; }; b ) </dev/null >/dev/null 2>&1 &`,
  // Writes ?<MB> megabytes to the instance's disk (/app), then to the root file system.
  fill: `${CGI_HEADER}
dd if=/dev/zero of=/app/fill bs=1M count=\${QUERY_STRING:-1} 2>/tmp/dd.err; echo "disk exit $?"; cat /tmp/dd.err
echo x 2>&1 >/www/written || echo "rootfs refused"
df -k /app | tail -n 1 | awk '{ print "disk kb", $2 }'`,
};

/**
 * A web app image on busybox: httpd serves /www (index.html says `variant`) and a few CGI
 * scripts that report limits and config or misbehave on purpose. Built once per variant.
 */
export function ensureWebImage(variant: string): string {
  // The tag follows the scripts, so a changed script makes a new image.
  const scripts = createHash('sha256').update(JSON.stringify(CGI)).digest('hex').slice(0, 8);
  const tag = `localhost/berth-test/runtime-web:${variant}-${scripts}`;
  try {
    execFileSync('podman', ['image', 'exists', tag]);
    return tag;
  } catch {
    // build it
  }
  const base = ensureBusyboxImage();
  const dir = mkdtempSync(join(tmpdir(), 'berth-runtime-image-'));
  try {
    mkdirSync(join(dir, 'www', 'cgi-bin'), { recursive: true });
    writeFileSync(join(dir, 'www', 'index.html'), `${variant}\n`);
    for (const [name, body] of Object.entries(CGI)) {
      writeFileSync(join(dir, 'www', 'cgi-bin', name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, 'www', 'cgi-bin', name), 0o755);
    }
    writeFileSync(join(dir, 'Containerfile'), `FROM ${base}\nCOPY www /www\nRUN chmod 1777 /tmp\n`);
    execFileSync('podman', ['build', '-q', '--label', TEST_LABEL, '-t', tag, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tag;
}

/** Process types of the fixture web image. */
export const PROCESS_TYPES = {
  web: 'httpd -f -p $PORT -h /www',
  /** Serves until /cgi-bin/eat is requested, then allocates without bound. */
  eat: 'httpd -p $PORT -h /www; while [ ! -f /tmp/eat ]; do sleep 0.2; done; exec tail -n 1 /dev/zero',
  broken: 'echo "cannot start: missing DATABASE_URL" >&2; exit 3',
  worker: 'while true; do sleep 1; done',
  /** Serves, and writes to stdout as fast as it can. */
  flood: 'httpd -p $PORT -h /www; exec yes berth-log-flood',
};

/**
 * Records an image of an app as the build pipeline would (a succeeded build and its image),
 * for tests that run before builds exist.
 */
export async function insertImage(db: PrismaService, appName: string, options: { tag: string; processTypes: Record<string, string>; envName?: string }) {
  const app = await db.app.findUniqueOrThrow({ where: { name: appName }, include: { environments: true } });
  const environment = app.environments.find((e) => e.name === (options.envName ?? 'production'))!;
  const commitSha = randomBytes(20).toString('hex');
  const build = await db.build.create({ data: { appId: app.id, environmentId: environment.id, commitSha, branch: environment.branch, status: 'succeeded', finishedAt: new Date() } });
  const image = await db.image.create({
    data: { appId: app.id, buildId: build.id, digest: `sha256:${randomBytes(32).toString('hex')}`, tag: options.tag, sizeBytes: BigInt(0), commitSha, processTypes: options.processTypes },
  });
  await db.build.update({ where: { id: build.id }, data: { imageId: image.id } });
  return { app, environment, build, image };
}

/**
 * Releases an image the way a finished build does, and waits until it serves or its rollout
 * ends; `failure` is what would fail the push.
 */
export async function deploy(platform: RunningPlatform, appName: string, options: { tag: string; processTypes: Record<string, string>; envName?: string }) {
  const db = platform.app.get(PrismaService);
  const { environment, build, image } = await insertImage(db, appName, options);
  const made = await platform.app.get(BuildReleaser).release(build.id);
  if (!made.release) throw new Error(`not released: ${made.reason}`);
  const { outcome, message } = await platform.app.get(DeployFollower).follow(made.release.id, async () => undefined, { waitMs: 60_000 });
  return { image, environment, release: made.release, failure: outcome === 'active' ? null : new Error(message) };
}

export interface TestAgent {
  name: string;
  context: INestApplicationContext;
  stop: () => Promise<void>;
}

/** An agent with its own host name and declared capacity, sharing the local engine. */
export async function startAgent(options: { name?: string; memoryMb?: number; cpu?: number; env?: Record<string, string> } = {}): Promise<TestAgent> {
  // Host names are unique per test: several test runs share this machine's engine.
  const name = options.name ?? unique('host').replace(/[^a-z0-9-]/g, '');
  const context = await startRoles(['agent'], {
    ...FAST,
    BERTH_HOST_NAME: name,
    AGENT_MEMORY_MB: String(options.memoryMb ?? 1024),
    AGENT_CPU: String(options.cpu ?? 2),
    ...options.env,
  });
  return { name, context, stop: () => context.close() };
}

/** Removes every container the given agents' hosts ran, and their disks (also after a failed test). */
export function removeContainersOf(hostNames: string[]): void {
  for (const name of hostNames) {
    const ids = execFileSync('podman', ['ps', '-aq', '--filter', `label=berth.host=${name}`]).toString().trim().split('\n').filter(Boolean);
    if (ids.length) execFileSync('podman', ['rm', '-f', '-t', '0', ...ids], { stdio: 'ignore' });
    removeDisks(disksOf(`berth.host=${name}`));
  }
}

/** The disk volumes (InstanceDisks) labelled `label`, with their files on the host. */
export function disksOf(label: string): { volume: string; file: string }[] {
  // Podman ORs several label filters, so filter by one and check the other here.
  const names = execFileSync('podman', ['volume', 'ls', '-q', '--filter', `label=${label}`]).toString().trim().split('\n').filter(Boolean);
  // Many at once (a bench leaves thousands); where one of a batch was removed meanwhile, one at a time.
  const volumes = chunks(names, 200).flatMap((some) => inspectVolumes(some) ?? some.flatMap((name) => inspectVolumes([name]) ?? []));
  return volumes.filter((v) => v.Labels?.['berth.disk']).map((v) => ({ volume: v.Name, file: v.Options?.device ?? '' }));
}

/** `podman volume inspect` of these volumes; null when one of them is gone. */
function inspectVolumes(names: string[]): { Name: string; Labels?: Record<string, string>; Options?: Record<string, string> }[] | null {
  try {
    return JSON.parse(execFileSync('podman', ['volume', 'inspect', ...names], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  } catch {
    return null;
  }
}

/** Runs podman; false when it failed. */
function podmanQuietly(args: string[]): boolean {
  try {
    execFileSync('podman', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

export function removeDisks(disks: { volume: string; file: string }[]): void {
  // Many at once; where a batch fails (one was gone already), one at a time.
  for (const some of chunks(disks, 200)) {
    if (!podmanQuietly(['volume', 'rm', '-f', ...some.map((d) => d.volume)])) for (const { volume } of some) podmanQuietly(['volume', 'rm', '-f', volume]);
  }
  for (const { file } of disks) {
    if (file.startsWith('/')) rmSync(file, { force: true });
  }
}

/** Removes the app networks the agents made for these apps (once their containers are gone). */
export function removeNetworksOf(appIds: string[]): void {
  if (!appIds.length) return;
  // One listing, then one removal of those that exist: a podman call per app took a second each.
  const existing = new Set(execFileSync('podman', ['network', 'ls', '--format', '{{.Name}}']).toString().split('\n').filter(Boolean));
  const names = appIds.map((id) => `berth-app-${id}`).filter((name) => existing.has(name));
  if (!names.length) return;
  try {
    execFileSync('podman', ['network', 'rm', '-f', ...names], { stdio: 'ignore' });
  } catch {
    // One went meanwhile: the rest one by one.
    for (const name of names) {
      try {
        execFileSync('podman', ['network', 'rm', '-f', name], { stdio: 'ignore' });
      } catch {
        // gone already
      }
    }
  }
}

export function containersOf(hostName: string): { id: string; instance: string; app: string; state: string }[] {
  const format = '{{.ID}} {{index .Labels "berth.instance"}} {{index .Labels "berth.app"}} {{.State}}';
  const out = execFileSync('podman', ['ps', '-a', '--filter', `label=berth.host=${hostName}`, '--format', format]).toString().trim();
  return out
    ? out.split('\n').map((line) => {
        const [id, instance, app, state] = line.split(' ');
        return { id, instance, app, state };
      })
    : [];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a truthy value or the time is up; returns the value or throws with `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

/** GET through a published port, as the router would reach an instance. */
export async function getFrom(address: string, port: number, path = '/'): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://${address}:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, text: await response.text() };
}

/**
 * A database and Redis prefix of its own for one test file. Hosts are shared by every team,
 * so tests that start agents and a scheduler would otherwise see each other's hosts (and
 * place on them) when jest runs files side by side. The schema comes straight from the
 * migrations' SQL, which takes milliseconds.
 */
export async function isolatedCluster(
  options: { adminUrl?: string; databaseName?: string; redisPrefix?: string } = {},
): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const suffix = randomBytes(3).toString('hex');
  const databaseName = options.databaseName ?? `${process.env.BERTH_TEST_DATABASE_NAME}_${suffix}`;
  const redisPrefix = options.redisPrefix ?? `${process.env.BERTH_REDIS_PREFIX}_${suffix}`;
  const adminUrl = options.adminUrl ?? process.env.BERTH_TEST_ADMIN_URL!;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${databaseName}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  const database = new Client({ connectionString: url.toString() });
  await database.connect();
  // From test/support, or from dist/test/support when a bench runs compiled.
  const migrations = [join(__dirname, '..', '..'), join(__dirname, '..', '..', '..')].map((root) => join(root, 'prisma', 'migrations')).find((dir) => existsSync(dir))!;
  for (const folder of readdirSync(migrations).filter((name) => /^\d/.test(name)).sort()) {
    await database.query(readFileSync(join(migrations, folder, 'migration.sql'), 'utf8'));
  }
  await database.end();
  return {
    env: { DATABASE_URL: url.toString(), BERTH_REDIS_PREFIX: redisPrefix },
    drop: async () => {
      if (process.env.KEEP_TEST_DB) return;
      // The agents' per-app networks outlive the database that knew their apps.
      const database = new Client({ connectionString: url.toString() });
      await database.connect();
      const apps = await database.query<{ id: string }>('SELECT id::text AS id FROM "App"').finally(() => database.end());
      removeNetworksOf(apps.rows.map((row) => row.id));
      await dropDatabase(adminUrl, databaseName);
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}

export interface WholePlatform {
  platform: RunningPlatform;
  /** Where the router listens on 127.0.0.1 (app URLs carry it). */
  routerPort: number;
  /** The one host, run by the in-process agent. */
  hostName: string;
  /** What the roles were started with beyond their own settings (database, Redis prefix, timings): for agents added beside them. */
  env: Record<string, string>;
  stop: () => Promise<void>;
}

/**
 * Every role in this process, as `npm start` runs them: api, builder, scheduler, an agent
 * (one host of `memoryMb`) and the router on a free port. It has a database of its own (hosts
 * are shared by every team) and its own data directory. `stop` removes what it ran and built.
 */
export async function startWholePlatform(options: { memoryMb?: number; cpu?: number; env?: Record<string, string> } = {}): Promise<WholePlatform> {
  const cluster = await isolatedCluster();
  const routerPort = await freePort();
  const hostName = unique('host').replace(/[^a-z0-9-]/g, '');
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-platform-'));
  let platform: RunningPlatform | undefined;
  const stop = async () => {
    if (platform) {
      const db = platform.app.get(PrismaService);
      const apps = (await db.app.findMany({ select: { name: true } })).map((app) => app.name);
      await platform.close();
      removeContainersOf([hostName]);
      await removeImagesOf(platform, apps);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await cluster.drop();
  };
  try {
    platform = await startPlatform(['api', 'builder', 'scheduler', 'agent', 'router'], {
      ...FAST,
      ...cluster.env,
      BERTH_HOST_NAME: hostName,
      AGENT_MEMORY_MB: String(options.memoryMb ?? 2048),
      AGENT_CPU: String(options.cpu ?? 2),
      ROUTER_PORT: String(routerPort),
      ROUTER_HOST: '127.0.0.1',
      BERTH_DATA_DIR: dataDir,
      ...options.env,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { platform, routerPort, hostName, env: { ...FAST, ...cluster.env, ...options.env }, stop };
}
