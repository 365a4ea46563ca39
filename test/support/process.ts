import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { dropDatabase } from './databases';
import { dropRedisPrefix, freePort } from './platform';
import { disksOf, removeDisks } from './runtime';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * Berth as `npm start` runs it, as a process of its own: compiled, its migrations applied to a
 * database of its own that starts empty, then `node dist/apps/berth/src/main.js` with every
 * role, on free ports, with its own data directory, Redis prefix and host name.
 */
export class BerthProcess {
  readonly port: number;
  readonly routerPort: number;
  readonly hostName = `proc-${randomBytes(3).toString('hex')}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'berth-process-'));
  private readonly databaseName = `${process.env.BERTH_TEST_DATABASE_NAME}_proc_${randomBytes(3).toString('hex')}`;
  private readonly secretKey = randomBytes(32).toString('hex');
  private readonly redisPrefix = `${process.env.BERTH_REDIS_PREFIX}_proc_${randomBytes(3).toString('hex')}`;
  private child: ChildProcess | null = null;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  /** Everything the process wrote, stdout and stderr interleaved. */
  output = '';

  /**
   * Settings over the process's own (e.g. BERTH_PROCESSES=per-role). With DATABASE_URL, it joins
   * that database (migrated already, dropped by its owner); with BERTH_ROLES, it runs those roles only.
   */
  private readonly overrides: Record<string, string>;

  private constructor(
    ports: [number, number],
    overrides: Record<string, string>,
    private readonly adminUrl: string,
  ) {
    [this.port, this.routerPort] = ports;
    this.overrides = overrides;
    if (overrides.ROUTER_PORT) this.routerPort = Number(overrides.ROUTER_PORT);
  }

  /** adminUrl is the PostgreSQL server its own database is made on (default: the tests' one). */
  static async create(overrides: Record<string, string> = {}, adminUrl = process.env.BERTH_TEST_ADMIN_URL!): Promise<BerthProcess> {
    return new BerthProcess([await freePort(), await freePort()], overrides, adminUrl);
  }

  private get ownDatabase(): boolean {
    return !this.overrides.DATABASE_URL;
  }

  private get runsRouter(): boolean {
    return !this.overrides.BERTH_ROLES || this.overrides.BERTH_ROLES.split(',').includes('router');
  }

  private get runsApi(): boolean {
    return !this.overrides.BERTH_ROLES || this.overrides.BERTH_ROLES.split(',').includes('api');
  }

  /** The output without terminal colours. */
  get log(): string {
    return this.output.replace(/\x1b\[[0-9;]*m/g, '');
  }

  /**
   * The pid of the supervised process that runs `group` (a role with BERTH_PROCESSES=per-role,
   * `berth` otherwise), from the supervisor's "started <group> (<roles>) as process N" lines:
   * the latest one.
   */
  groupPid(group: string): number | undefined {
    const pid = [...this.log.matchAll(new RegExp(`started ${group} \\([^)]*\\) as process (\\d+)`, 'g'))].at(-1)?.[1];
    return pid === undefined ? undefined : Number(pid);
  }

  /** Whether process `pid` said it runs its roles ("roles: …", logged once it has started them). */
  started(pid: number): boolean {
    return new RegExp(`\\[Nest\\] ${pid} .*\\[Berth\\] roles: `).test(this.log);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private databaseUrl(name = this.databaseName): string {
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BERTH_ENV_FILE: 'none',
      BERTH_SECRET_KEY: this.secretKey,
      DATABASE_URL: this.databaseUrl(),
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      BERTH_REDIS_PREFIX: this.redisPrefix,
      BERTH_DATA_DIR: this.dataDir,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      ROUTER_PORT: String(this.routerPort),
      ROUTER_HOST: '127.0.0.1',
      BERTH_HOST_NAME: this.hostName,
      AGENT_MEMORY_MB: '1024',
      AGENT_CPU: '2',
      LOG_LEVEL: 'log',
      ...this.overrides,
    };
  }

  /**
   * What `npm run prestart` does before `npm start`: compile to dist/ and apply the migrations,
   * here to a new, empty database. Not the Prisma client generation and dashboard build it
   * also runs: `npm test` did those already, and redoing them would rewrite files that tests
   * running beside this one are reading.
   */
  async prepare(): Promise<void> {
    if (this.ownDatabase) {
      const admin = new Client({ connectionString: this.adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${this.databaseName}"`);
      await admin.end();
    }
    const options = { cwd: ROOT, env: this.env(), maxBuffer: 64 * 1024 * 1024 };
    const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
    await execFileAsync(bin('tsc'), ['-p', 'tsconfig.build.json'], options);
    await execFileAsync(bin('tsc-alias'), ['-p', 'tsconfig.build.json'], options);
    if (this.ownDatabase) await execFileAsync(process.execPath, [join(ROOT, 'scripts', 'db-migrate.mjs'), 'deploy'], options);
  }

  /**
   * Starts `node dist/apps/berth/src/main.js`; resolves once the API and the router answer (a
   * process with neither, e.g. BERTH_ROLES=agent, once it says it runs its roles).
   */
  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'berth', 'src', 'main.js')], { cwd: ROOT, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Berth exited while starting:\n${this.output}`);
      if (!this.runsApi && !this.runsRouter && /\[Berth\] roles: /.test(this.log)) return;
      const api = this.runsApi ? await fetch(`${this.url}/healthz`).then((r) => r.status, () => 0) : 200;
      const router = this.runsRouter ? await fetch(`http://127.0.0.1:${this.routerPort}/`).then((r) => r.status, () => 0) : 404;
      if (api === 200 && router === 404) return;
      if (Date.now() > deadline) throw new Error(`Berth did not answer within ${timeoutMs} ms (api ${api}, router ${router}):\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Sends `signal` and waits for the process to end; how it ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child || !this.exited) throw new Error('not started');
    this.child.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Processes whose command line names this process's data directory (its HAProxy). */
  leftovers(): string[] {
    const found: string[] = [];
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (cmdline.includes(this.dataDir)) found.push(`${pid}: ${cmdline.trim()}`);
      } catch {
        // gone meanwhile
      }
    }
    return found;
  }

  /**
   * Ends the process if it still runs and removes what it left: processes naming its data
   * directory (a HAProxy outlives a killed router by design), containers of its host, its
   * database, Redis keys and files.
   */
  async cleanup(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    for (const line of this.leftovers()) {
      try {
        process.kill(Number(line.split(':')[0]), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    const { stdout } = await execFileAsync('podman', ['ps', '-aq', '--filter', `label=berth.host=${this.hostName}`]);
    const ids = stdout.split('\n').filter(Boolean);
    if (ids.length) await execFileAsync('podman', ['rm', '-f', '-t', '0', ...ids]);
    removeDisks(disksOf(`berth.host=${this.hostName}`));
    if (!this.ownDatabase) return; // the owner of the database, Redis prefix and data directory removes them
    if (!process.env.KEEP_TEST_DB) {
      await dropDatabase(this.adminUrl, this.databaseName);
    }
    await dropRedisPrefix(this.redisPrefix);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
