import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { Client } from 'pg';
import { containersOfApp } from '../support/fullstack';
import { WorkingCopy } from '../support/git';
import { dropDatabase } from '../support/databases';
import { dropRedisPrefix, freePort } from '../support/platform';
import { eventually, get } from '../support/router';
import { unique } from '../support/users';

// A clone builds everything (Prisma client, TypeScript, dashboard) before it starts.
jest.setTimeout(900_000);

const ROOT = join(__dirname, '..', '..');
/** The clean environment of a new shell: nothing Berth reads is exported. */
const CLEAN = { PATH: process.env.PATH!, HOME: process.env.HOME! };

/** Runs a command to its end; its exit code and everything it printed. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * The README's first steps on a new clone, in a shell where nothing is exported: `git clone`,
 * `npm run setup`, `npm start`, then sign up, create an app, `git push` it and reach it through
 * the router. node_modules is a symlink to this checkout's (what `npm ci` would install, without
 * its minutes). setup runs with nothing exported either, except on a machine whose tests use a
 * PostgreSQL or Redis other than the defaults: then it is pointed at those, as an operator would
 * with DATABASE_URL and REDIS_URL. `npm start` gets PATH and HOME only: it must find everything
 * in the .env that setup wrote. The test then gives the clone a database, Redis prefix, ports
 * and host name of its own, in that .env, so it cannot disturb a Berth running on this machine.
 */
describe('a fresh clone', () => {
  const workdir = mkdtempSync(join(tmpdir(), 'berth-clone-'));
  const clone = join(workdir, 'berth');
  const suffix = randomBytes(3).toString('hex');
  const databaseName = `${process.env.BERTH_TEST_DATABASE_NAME}_clone_${suffix}`;
  const redisPrefix = `${process.env.BERTH_REDIS_PREFIX}_clone_${suffix}`;
  const hostName = `clone-${suffix}`;
  let berth: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  let output = '';
  let copy: WorkingCopy | undefined;
  let app: string | undefined;

  afterAll(async () => {
    if (berth?.pid && berth.exitCode === null && berth.signalCode === null) {
      process.kill(-berth.pid, 'SIGKILL');
      await exited;
    }
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      // Anything the clone started that outlived it (its HAProxy runs from the clone's data directory).
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(clone)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    const containers = execFileSync('podman', ['ps', '-aq', '--filter', `label=berth.host=${hostName}`]).toString().split('\n').filter(Boolean);
    if (containers.length) execFileSync('podman', ['rm', '-f', '-t', '0', ...containers], { stdio: 'ignore' });
    if (app) {
      const images = execFileSync('podman', ['images', '-q', '--filter', `label=berth.app=${app}`]).toString().split('\n').filter(Boolean);
      if (images.length) execFileSync('podman', ['rmi', '-f', ...new Set(images)], { stdio: 'ignore' });
      const networks = execFileSync('podman', ['network', 'ls', '-q', '--filter', `label=berth.app=${app}`]).toString().split('\n').filter(Boolean);
      if (networks.length) execFileSync('podman', ['network', 'rm', '-f', ...networks], { stdio: 'ignore' });
    }
    if (!process.env.KEEP_TEST_DB) {
      await dropDatabase(process.env.BERTH_TEST_ADMIN_URL!, databaseName);
    }
    await dropRedisPrefix(redisPrefix);
    copy?.remove();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('sets up, starts with nothing exported, and serves a pushed app through the router', async () => {
    execFileSync('git', ['clone', '--quiet', ROOT, clone], { env: CLEAN });
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));

    const admin = new URL(process.env.BERTH_TEST_ADMIN_URL!);
    const redis = new URL(process.env.REDIS_URL!);
    const elsewhere = `${admin.hostname}:${admin.port || 5432}` !== '127.0.0.1:5432' || `${redis.hostname}:${redis.port || 6379}` !== '127.0.0.1:6379';
    const services = elsewhere ? { DATABASE_URL: admin.toString(), REDIS_URL: redis.toString() } : {};
    const secrets = process.env.BERTH_SECRETS_DIR ? { BERTH_SECRETS_DIR: process.env.BERTH_SECRETS_DIR } : {};
    const setup = await run('npm', ['run', 'setup'], clone, { ...CLEAN, ...services, ...secrets });
    expect({ code: setup.code, output: setup.output }).toMatchObject({ code: 0 });
    expect(setup.output).toContain('Ready. Start Berth with: npm start');

    const written = parseEnv(readFileSync(join(clone, '.env'), 'utf8'));
    expect(written.BERTH_SECRET_KEY).toMatch(/^[0-9a-f]{64}$/);
    const databaseUrl = new URL(written.DATABASE_URL!);
    expect(databaseUrl.password).not.toMatch(/^(berth)?$/);
    expect(new URL(written.REDIS_URL!).password).not.toBe('');

    // A database, Redis prefix, ports and host name of the clone's own, the .env way.
    const database = new Client({ connectionString: process.env.BERTH_TEST_ADMIN_URL });
    await database.connect();
    await database.query(`CREATE DATABASE "${databaseName}"`);
    await database.end();
    databaseUrl.pathname = `/${databaseName}`;
    const [port, routerPort] = [await freePort(), await freePort()];
    const envFile = readFileSync(join(clone, '.env'), 'utf8').replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=${databaseUrl}`);
    writeFileSync(join(clone, '.env'), envFile);
    appendFileSync(
      join(clone, '.env'),
      [`PORT=${port}`, 'HOST=127.0.0.1', `ROUTER_PORT=${routerPort}`, 'ROUTER_HOST=127.0.0.1', `BERTH_REDIS_PREFIX=${redisPrefix}`, `BERTH_HOST_NAME=${hostName}`, 'AGENT_MEMORY_MB=1024', 'AGENT_CPU=2', ''].join('\n'),
    );

    const child = spawn('npm', ['start'], { cwd: clone, env: CLEAN, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    berth = child;
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const url = `http://127.0.0.1:${port}`;
    for (const deadline = Date.now() + 600_000; ; ) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited before Berth answered:\n${output}`);
      if ((await fetch(`${url}/healthz`).then((r) => r.status, () => 0)) === 200) break;
      if (Date.now() > deadline) throw new Error(`Berth did not answer /healthz:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    const api = (path: string, init: RequestInit & { token?: string } = {}) =>
      fetch(`${url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) } });
    const signup = await api('/api/auth/signup', { method: 'POST', body: JSON.stringify({ email: `${unique('clone')}@example.com`, password: 'a long password indeed' }) });
    expect(signup.status).toBe(201);
    const { token } = (await signup.json()) as { token: string };
    app = unique('fresh');
    expect((await api('/api/apps', { method: 'POST', token, body: JSON.stringify({ name: app }) })).status).toBe(201);

    copy = await WorkingCopy.fromFixture('static');
    copy.write('public/index.html', 'hello from a fresh clone\n');
    await copy.commitAll('hello');
    const push = await copy.push(`http://git:${token}@127.0.0.1:${port}/git/${app}.git`, 'main');
    expect(push.code).toBe(0);
    expect(await eventually(() => get(routerPort, `${app}.localhost:${routerPort}`), (answer) => answer.status === 200, 'the app through the router', 60_000)).toMatchObject({
      status: 200,
      body: 'hello from a fresh clone\n',
    });
    expect(containersOfApp(app).map((c) => c.host)).toEqual([hostName]);

    expect((await api(`/api/apps/${app}`, { method: 'DELETE', token })).status).toBe(204);
    await eventually(async () => containersOfApp(app!), (left) => left.length === 0, 'the deleted app to leave no container', 30_000);
    process.kill(-child.pid!, 'SIGTERM');
    const ended = await exited;
    expect(ended.code === 0 || ended.signal === 'SIGTERM' || ended.code === 143).toBe(true);
  });
});
