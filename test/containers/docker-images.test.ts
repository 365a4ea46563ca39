import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkingCopy } from '../support/git';
import { freePort } from '../support/platform';
import { eventually, get } from '../support/router';
import { disksOf, removeDisks } from '../support/runtime';
import { unique } from '../support/users';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

// Three image builds (npm ci and the whole TypeScript and dashboard build among them) on a
// machine other tests load too.
jest.setTimeout(1_800_000);

const podman = async (...args: string[]) => (await execFileAsync('podman', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
const quietly = (...args: string[]) => {
  try {
    execFileSync('podman', args, { stdio: 'ignore' });
  } catch {
    // already gone
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The second way to install (README "Install with containers"): docker/'s Containerfiles built
 * here with Podman, from the local Debian stack image since no registry can be reached, then
 * PostgreSQL, Redis and Berth run as docker/compose.yaml runs them (its secrets from
 * docker/init-secrets.sh, Berth on the host's network with the engine's socket), until
 * /healthz answers and a user can sign up. Everything made carries berth.install=<this run>
 * and is removed after.
 */
describe('docker/: Berth, PostgreSQL and Redis in containers', () => {
  const id = unique('ctr');
  const labels = ['--label', `berth.install=${id}`, '--label', 'berth.test=docker-images'];
  const image = (name: string) => `localhost/berth/${id}-${name}:test`;
  const container = (name: string) => `${id}-${name}`;
  const secrets = mkdtempSync(join(tmpdir(), 'berth-docker-secrets-'));
  // Mounted at the same path inside, as compose.yaml does: the engine reads instance disks' paths on the host.
  const data = mkdtempSync(join(tmpdir(), 'berth-docker-data-'));
  const base = process.env.BERTH_STACK_IMAGE ?? 'localhost/berth/stack:bookworm-2';
  const caBundle = '/etc/ssl/certs/ca-certificates.crt';

  let port = 0;
  let routerPort = 0;
  let token = '';
  let copy: WorkingCopy | undefined;

  afterAll(async () => {
    copy?.remove();
    for (const name of ['berth', 'postgres', 'redis']) quietly('rm', '-f', '-v', '-t', '5', container(name));
    // What Berth made on the engine under its install id (its build network, at least).
    for (const kind of ['container', 'network'] as const) {
      const listed = execFileSync('podman', [kind === 'container' ? 'ps' : 'network', ...(kind === 'container' ? ['-aq'] : ['ls', '-q']), '--filter', `label=berth.install=${id}`])
        .toString()
        .split('\n')
        .filter(Boolean);
      for (const item of listed) quietly(kind === 'container' ? 'rm' : 'network', ...(kind === 'container' ? ['-f', '-v', item] : ['rm', '-f', item]));
    }
    removeDisks(disksOf(`berth.install=${id}`));
    // The images its builds made, then the three built here.
    const built = execFileSync('podman', ['images', '-q', '--filter', `label=berth.install=${id}`]).toString().split('\n').filter(Boolean);
    if (built.length) quietly('rmi', '-f', ...new Set(built));
    for (const name of ['berth', 'postgres', 'redis']) quietly('rmi', '-f', image(name));
    rmSync(secrets, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });

  it('builds the images, starts the three containers and answers /healthz and a sign-up', async () => {
    execFileSync('bash', [join(ROOT, 'scripts/stack-image.sh'), base], { stdio: 'ignore' });
    // --layers=false: no intermediate images stay behind on the shared engine.
    const build = async (file: string, context: string, name: string, extra: string[] = []) => {
      const args = ['build', '--layers=false', '-f', file, '--build-arg', `BASE_IMAGE=${base}`, ...labels, ...extra, '-t', image(name), context];
      try {
        await podman(...args);
      } catch (error) {
        // Podman 4.3 fails a build when another client removes an unrelated image meanwhile
        // ("image not known"): the engine is shared, so that happens; once more then.
        if (!/(image|layer) not known/.test(String((error as { stderr?: string }).stderr ?? error))) throw error;
        await podman(...args);
      }
    };
    await Promise.all([
      build('docker/Containerfile', '.', 'berth', existsSync(caBundle) ? ['--secret', `id=ca_bundle,src=${caBundle}`] : []),
      build('docker/postgres.Containerfile', 'docker', 'postgres'),
      build('docker/redis.Containerfile', 'docker', 'redis'),
    ]);

    execFileSync('sh', [join(ROOT, 'docker/init-secrets.sh'), secrets], { stdio: 'ignore' });
    const secret = (name: string) => ['-v', `${join(secrets, name)}:/run/secrets/${name}:ro`];
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    [port, routerPort] = [await freePort(), await freePort()];

    await podman('run', '-d', '--name', container('postgres'), ...labels, '-e', 'POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password', ...secret('postgres_password'), '-p', `127.0.0.1:${pgPort}:5432`, image('postgres'));
    await podman('run', '-d', '--name', container('redis'), ...labels, '-e', 'REDIS_PASSWORD_FILE=/run/secrets/redis_password', ...secret('redis_password'), '-p', `127.0.0.1:${redisPort}:6379`, image('redis'));
    const env = {
      BERTH_ROLES: 'all',
      PORT: String(port),
      ROUTER_PORT: String(routerPort),
      BERTH_PUBLIC_URL: `http://127.0.0.1:${port}`,
      BERTH_INSTALL_ID: id,
      BERTH_REDIS_PREFIX: id,
      BERTH_HOST_NAME: id,
      BERTH_DATA_DIR: data,
      BERTH_SECRET_KEY_FILE: '/run/secrets/berth_secret_key',
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(pgPort),
      POSTGRES_PASSWORD_FILE: '/run/secrets/postgres_password',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redisPort),
      REDIS_PASSWORD_FILE: '/run/secrets/redis_password',
      BUILD_CA_BUNDLE: '/etc/berth/ca-bundle.crt',
      NODE_EXTRA_CA_CERTS: '/etc/berth/ca-bundle.crt',
    };
    await podman(
      'run', '-d', '--name', container('berth'), ...labels, '--network', 'host', '--cap-add', 'NET_ADMIN',
      '--ulimit', 'nofile=16384:16384', '--ulimit', 'nproc=16384:16384',
      ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      ...secret('berth_secret_key'), ...secret('postgres_password'), ...secret('redis_password'),
      '-v', '/run/podman/podman.sock:/run/engine.sock', '-v', `${data}:${data}`, '-v', `${caBundle}:/etc/berth/ca-bundle.crt:ro`,
      image('berth'),
    ); // prettier-ignore

    // Migrations, then every role: give it minutes on a loaded machine.
    let health: Response | undefined;
    for (let i = 0; i < 360 && health?.status !== 200; i++) {
      const state = await podman('inspect', '-f', '{{.State.Status}}', container('berth'));
      if (state !== 'running') throw new Error(`The berth container stopped (${state}):\n${await podman('logs', '--tail', '60', container('berth'))}`);
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (health?.status !== 200) await sleep(500);
    }
    if (health?.status !== 200) throw new Error(`/healthz did not answer 200:\n${await podman('logs', '--tail', '60', container('berth'))}`);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const signup = await fetch(`http://127.0.0.1:${port}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${unique('ctr')}@example.com`, password: 'a long password indeed' }),
    });
    expect(signup.status).toBe(201);
    token = ((await signup.json()) as { token: string }).token;
    // The dashboard is in the image.
    const page = await fetch(`http://127.0.0.1:${port}/apps`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
  });

  it('deploys a pushed static site through its router', async () => {
    expect(token).not.toBe('');
    const app = unique('ctr');
    const created = await fetch(`http://127.0.0.1:${port}/api/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: app }),
    });
    expect(created.status).toBe(201);
    copy = await WorkingCopy.fromFixture('static');
    copy.write('public/index.html', 'hello from the containers\n');
    await copy.commitAll('hello');
    const push = await copy.push(`http://git:${token}@127.0.0.1:${port}/git/${app}.git`, 'main');
    if (push.code !== 0) throw new Error(`git push failed:\n${push.stderr}\n${await podman('logs', '--tail', '40', container('berth'))}`);
    await eventually(() => get(routerPort, `${app}.localhost:${routerPort}`), (res) => res.status === 200, 'the app to answer through the router', 60_000);
    expect(await get(routerPort, `${app}.localhost:${routerPort}`)).toMatchObject({ status: 200, body: 'hello from the containers\n' });
  });
});
