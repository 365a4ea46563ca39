import { EventEmitter2 } from '@nestjs/event-emitter';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENT_DELETED } from '@berth/tenant-apps';
import { PrismaService } from '@berth/db';
import { EdgeRouter, PreviewSweeper, RouteChanges } from '@berth/router';
import { HaproxyProcess, processAlive } from '../../libs/router/src/edge/haproxy.process';
import { freePort, RunningPlatform, startPlatform, startRoles } from '../support/platform';
import { eventually, FakeRuntime, get, openWebSocket, steadyLoad, WebApps } from '../support/router';
import { createApp, signUp, TestUser } from '../support/users';

jest.setTimeout(60_000);

describe('edge router', () => {
  let platform: RunningPlatform;
  let routerPort: number;
  let dataDir: string;
  let user: TestUser;
  let db: PrismaService;
  let runtime: FakeRuntime;
  const apps = new WebApps();

  beforeAll(async () => {
    routerPort = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'berth-router-test-'));
    platform = await startPlatform(['router'], {
      ROUTER_PORT: String(routerPort),
      ROUTER_HOST: '127.0.0.1',
      BERTH_DATA_DIR: dataDir,
      ROUTER_RESPONSE_TIMEOUT_SECONDS: '2',
      ROUTER_MAX_BODY_KB: '64',
      PREVIEW_SWEEP_SECONDS: '3600',
    });
    user = await signUp(platform);
    db = platform.app.get(PrismaService);
    runtime = new FakeRuntime(db, platform.app.get(RouteChanges));
  });

  afterAll(async () => {
    await platform?.close();
    await apps.removeAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const url = (host: string, path = '/', headers: Record<string, string> = {}) => get(routerPort, host, path, { headers });
  const serves = (host: string, body: string) => eventually(() => url(host), (a) => a.status === 200 && a.body === body, `${host} serves ${body}`);

  async function environment(appName: string, envName = 'production') {
    return db.environment.findFirstOrThrow({ where: { name: envName, app: { name: appName } } });
  }

  /** A new app with a preview environment that serves `<stem>-feature` from one instance. */
  async function servedPreview(stem: string, envName: string) {
    const name = await createApp(platform, user, stem);
    const env = await preview(name, envName);
    const instance = await apps.start(`${stem}-feature`);
    await runtime.release(env.id, [instance.port]);
    await serves(`${envName}--${name}.localhost`, `${stem}-feature`);
    return { name, env };
  }

  /** Resolves once the router has applied the environment's current routes to HAProxy. */
  const applied = (environmentId: string) => platform.app.get(EdgeRouter, { strict: false }).refresh(environmentId);

  /** The pid of HAProxy's current worker: a reload starts a new one. */
  const workerPid = () =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(join(dataDir, 'router', String(routerPort), 'admin.sock'));
      let out = '';
      socket.on('data', (chunk) => (out += chunk));
      socket.on('end', () => resolve(/^Pid: (\d+)/m.exec(out)![1]));
      socket.on('error', reject);
      socket.end('show info\n');
    });

  async function preview(appName: string, envName: string) {
    const app = await db.app.findUniqueOrThrow({ where: { name: appName } });
    const env = await db.environment.create({ data: { appId: app.id, name: envName, kind: 'preview', branch: `feature/${envName}` } });
    await platform.app.get(RouteChanges).environmentChanged(env.id);
    return env;
  }

  it('routes production, preview and custom domain names to their own instances', async () => {
    const name = await createApp(platform, user, 'shop');
    const prod = await apps.start('shop-production');
    const feature = await apps.start('shop-feature');
    await runtime.release((await environment(name)).id, [prod.port]);
    const env = await preview(name, 'feature-login-page');
    await runtime.release(env.id, [feature.port]);

    await serves(`${name}.localhost:8080`, 'shop-production');
    await serves(`feature-login-page--${name}.localhost`, 'shop-feature');
    // Hosts are case-insensitive and may carry a port or a trailing dot.
    expect((await url(`${name.toUpperCase()}.LocalHost.:${routerPort}`)).body).toBe('shop-production');

    await platform.http().post(`/api/apps/${name}/environments/feature-login-page/domains`).set(user.auth).send({ hostname: `WWW.${name}.example` }).expect(201);
    await serves(`www.${name}.example`, 'shop-feature');
  });

  it('answers an unknown name with a 404 page: HTML for browsers, text for curl', async () => {
    const html = await url('nothing-here.localhost', '/', { accept: 'text/html,application/xhtml+xml' });
    expect(html.status).toBe(404);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toContain('Nothing on Berth answers to nothing-here.localhost');
    const text = await url('nothing-here.localhost', '/', { accept: '*/*' });
    expect(text.status).toBe(404);
    expect(text.headers['content-type']).toMatch(/text\/plain/);
    expect(text.body).toMatch(/^404 No app here/);
    expect(text.headers['x-request-id']).toBeTruthy();
  });

  it('answers an environment with nothing running with a 503 page that says why', async () => {
    const name = await createApp(platform, user, 'idle');
    const env = await environment(name);
    // Nobody told the router about this app yet: it looks the name up rather than answer 404.
    const notDeployed = await url(`${name}.localhost`);
    expect(notDeployed.status).toBe(503);
    expect(notDeployed.body).toContain('Nothing has been deployed to this environment yet');
    expect(notDeployed.headers['retry-after']).toBe('5');

    const app = await db.app.findUniqueOrThrow({ where: { name } });
    await db.build.create({ data: { appId: app.id, environmentId: env.id, commitSha: 'a'.repeat(40), branch: 'main', status: 'building' } });
    expect((await eventually(() => url(`${name}.localhost`), (a) => /build/.test(a.body), 'building page')).body).toContain('The first build of this environment is running');

    await db.build.updateMany({ where: { environmentId: env.id }, data: { status: 'failed', failureReason: 'npm install failed: no package.json' } });
    expect((await eventually(() => url(`${name}.localhost`), (a) => /failed/.test(a.body), 'failed page')).body).toContain('The last build failed: npm install failed: no package.json');

    await db.build.updateMany({ where: { environmentId: env.id }, data: { status: 'succeeded' } });
    await runtime.release(env.id, [40000], 'active', { healthy: false, actualState: 'crashed', reason: 'exited with code 1' });
    const crashed = await eventually(() => url(`${name}.localhost`, '/', { accept: 'text/html' }), (a) => /crashed/.test(a.body), 'crashed page');
    expect(crashed.status).toBe(503);
    expect(crashed.body).toContain('The web process crashed: exited with code 1');

    const api = await platform.http().get(`/api/apps/${name}/environments/production`).set(user.auth).expect(200);
    expect(api.body.status).toMatchObject({ state: 'crashed', message: expect.stringContaining('exited with code 1') });
  });

  it('balances requests across the instances of an environment', async () => {
    const name = await createApp(platform, user, 'pair');
    const [a, b] = await Promise.all([apps.start('pair-a'), apps.start('pair-b')]);
    await runtime.release((await environment(name)).id, [a.port, b.port]);
    await eventually(() => url(`${name}.localhost`), (r) => r.status === 200, 'pair serves');
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const { body } = await url(`${name}.localhost`);
      seen.set(body, (seen.get(body) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['pair-a', 'pair-b']);
    expect(seen.get('pair-a')).toBe(10);
  });

  it('scales an environment past the slots its backend started with, without a reload', async () => {
    const name = await createApp(platform, user, 'grow');
    const env = await environment(name);
    const first = await apps.start('grow-1');
    await runtime.release(env.id, [first.port]);
    await serves(`${name}.localhost`, 'grow-1');
    // The new backend reloaded HAProxy; the new worker may serve before the old one has let
    // go of the admin socket they share. Once the router has applied the change, it has.
    await applied(env.id);
    const before = await workerPid();
    // One instance gets two slots; five need three more, added through HAProxy's runtime API.
    const more = await Promise.all([apps.start('grow-2'), apps.start('grow-3'), apps.start('grow-4'), apps.start('grow-5')]);
    await runtime.release(env.id, [first.port, ...more.map((c) => c.port)]);
    const seen = new Set<string>();
    await eventually(
      async () => {
        seen.add((await url(`${name}.localhost`)).body);
        return seen.size;
      },
      (size) => size === 5,
      'all five instances answer',
    );
    expect([...seen].sort()).toEqual(['grow-1', 'grow-2', 'grow-3', 'grow-4', 'grow-5']);
    expect(await workerPid()).toBe(before);
  });

  describe('on an app with one instance', () => {
    let name: string;
    beforeAll(async () => {
      name = await createApp(platform, user, 'echo');
      const one = await apps.start('echo-1');
      await runtime.release((await environment(name)).id, [one.port]);
      await serves(`${name}.localhost`, 'echo-1');
    });

    it('tells the app who asked: X-Forwarded-For, -Proto, -Host and a request id', async () => {
      const answer = await url(`${name}.localhost:${routerPort}`, '/headers');
      const { headers } = JSON.parse(answer.body);
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers['x-forwarded-host']).toBe(`${name}.localhost:${routerPort}`);
      expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.headers['x-request-id']).toBe(headers['x-request-id']);

      const kept = await url(`${name}.localhost`, '/headers', { 'x-request-id': 'client-chosen-id-123' });
      expect(JSON.parse(kept.body).headers['x-request-id']).toBe('client-chosen-id-123');
      expect(kept.headers['x-request-id']).toBe('client-chosen-id-123');
      const replaced = await url(`${name}.localhost`, '/headers', { 'x-request-id': 'no spaces <allowed>' });
      expect(JSON.parse(replaced.body).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('passes WebSockets through', async () => {
      const socket = await openWebSocket(routerPort, `${name}.localhost`, '/chat');
      socket.send('hello');
      expect(await socket.next()).toBe('echo-1: hello');
      socket.send('again');
      expect(await socket.next()).toBe('echo-1: again');
      socket.close();
    });

    it('streams responses instead of buffering them', async () => {
      // The app sends a first chunk and finishes only when asked to; seeing that first chunk
      // before asking proves the router passed it on as it came.
      const first = await new Promise<{ chunk: string; rest: Promise<string> }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: routerPort, path: '/stream?id=s1', headers: { host: `${name}.localhost` } }, (res) => {
          res.setEncoding('utf8');
          let all = '';
          const rest = new Promise<string>((done) => res.on('end', () => done(all)));
          res.once('data', (chunk: string) => {
            all += chunk;
            res.on('data', (more: string) => (all += more));
            resolve({ chunk, rest });
          });
        });
        req.on('error', reject);
        req.end();
      });
      expect(first.chunk).toBe('first from echo-1\n');
      expect((await url(`${name}.localhost`, '/continue?id=s1')).status).toBe(200);
      expect(await first.rest).toBe('first from echo-1\nsecond\n');
    });

    it('gives up on a response that takes longer than the response timeout with a 504 page', async () => {
      const answer = await url(`${name}.localhost`, '/slow?ms=5000');
      expect(answer.status).toBe(504);
      expect(answer.body).toContain('The app did not answer in time');
      expect(answer.headers['x-request-id']).toBeTruthy();
      expect((await url(`${name}.localhost`, '/slow?ms=200')).body).toBe('finally');
    });

    it('refuses a request body over the size limit with 413', async () => {
      const small = await get(routerPort, `${name}.localhost`, '/upload', { method: 'POST', body: Buffer.alloc(60 * 1024) });
      expect(small).toMatchObject({ status: 200, body: String(60 * 1024) });
      const large = await get(routerPort, `${name}.localhost`, '/upload', { method: 'POST', body: Buffer.alloc(65 * 1024) });
      expect(large.status).toBe(413);
      expect(large.body).toContain('The request body is larger than the router accepts');
    });
  });

  it('stops routing to an environment when it is deleted, and to an app when it is deleted', async () => {
    const { name, env } = await servedPreview('gone', 'old-feature');
    const deleted = new Promise((resolve) => platform.app.get(EventEmitter2).once(ENVIRONMENT_DELETED, resolve));

    await platform.http().delete(`/api/apps/${name}/environments/old-feature`).set(user.auth).expect(204);
    expect(await deleted).toMatchObject({ environmentId: env.id, environmentName: 'old-feature', appName: name });
    await eventually(() => url(`old-feature--${name}.localhost`), (a) => a.status === 404, 'deleted preview answers 404');
    await platform.http().get(`/api/apps/${name}/environments/old-feature`).set(user.auth).expect(404);

    const production = await apps.start('gone-production');
    await runtime.release((await environment(name)).id, [production.port]);
    await serves(`${name}.localhost`, 'gone-production');
    await platform.http().delete(`/api/apps/${name}`).set(user.auth).expect(204);
    await eventually(() => url(`${name}.localhost`), (a) => a.status === 404, 'deleted app answers 404');
  });

  it('removes a preview whose time to live ran out, with its route', async () => {
    const { name, env } = await servedPreview('ttl', 'short-lived');

    const patched = await platform.http().patch(`/api/apps/${name}/environments/short-lived`).set(user.auth).send({ ttlHours: 72 }).expect(200);
    expect(new Date(patched.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 71 * 3600_000);
    const sweeper = platform.app.get(PreviewSweeper);
    expect(await sweeper.sweep()).toBe(0);
    await db.environment.update({ where: { id: env.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await sweeper.sweep()).toBe(1);
    await eventually(() => url(`short-lived--${name}.localhost`), (a) => a.status === 404, 'expired preview answers 404');
  });

  it('follows a rolling deploy under steady load without a failed request', async () => {
    const name = await createApp(platform, user, 'roll');
    const env = await environment(name);
    const old = await Promise.all([apps.start('roll-v1-a'), apps.start('roll-v1-b')]);
    const v1 = await runtime.release(env.id, old.map((c) => c.port));
    await eventually(() => url(`${name}.localhost`), (a) => a.body.startsWith('roll-v1'), 'old release serves');

    const load = steadyLoad(routerPort, `${name}.localhost`);

    // The runtime's rollout: new instances start and pass their checks; the new release
    // becomes current; after a drain delay the old instances stop.
    const fresh = await Promise.all([apps.start('roll-v2-a'), apps.start('roll-v2-b')]);
    const v2 = await runtime.release(env.id, fresh.map((c) => c.port), 'deploying');
    await runtime.activate(env.id, v2.id);
    await eventually(() => url(`${name}.localhost`), (a) => a.body.startsWith('roll-v2'), 'new release serves');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // drain delay
    await runtime.stopInstances(v1.id, env.id);
    await Promise.all(old.map((c) => apps.stop(c.id)));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { seen, failures } = await load.stop();

    expect(failures).toEqual([]);
    expect((seen.get('roll-v1-a') ?? 0) + (seen.get('roll-v1-b') ?? 0)).toBeGreaterThan(0);
    expect(seen.get('roll-v2-a')).toBeGreaterThan(0);
    expect(seen.get('roll-v2-b')).toBeGreaterThan(0);
  });

  it('keeps serving without a failed request while HAProxy reloads for new environments', async () => {
    const name = await createApp(platform, user, 'steady');
    const instance = await apps.start('steady-1');
    await runtime.release((await environment(name)).id, [instance.port]);
    await serves(`${name}.localhost`, 'steady-1');
    const before = await workerPid();
    const load = steadyLoad(routerPort, `${name}.localhost`);
    for (let i = 0; i < 3; i++) {
      const env = await preview(name, `reload-${i}`); // a new environment: a new backend, a reload
      // Once the router has applied it, only the new worker answers: the old one let go of
      // the listeners it shared (a runtime API command could otherwise reach it and be lost).
      await applied(env.id);
      const answering = await Promise.all(Array.from({ length: 10 }, () => workerPid()));
      expect(new Set(answering).size).toBe(1);
      await eventually(() => url(`reload-${i}--${name}.localhost`), (a) => a.status === 503, `reload-${i} known to the router`);
      await db.environment.delete({ where: { id: env.id } });
      await platform.app.get(RouteChanges).environmentChanged(env.id);
      await eventually(() => url(`reload-${i}--${name}.localhost`), (a) => a.status === 404, `reload-${i} gone`);
    }
    const { ok, failures } = await load.stop();
    await eventually(workerPid, (pid) => pid !== before, 'HAProxy reloaded: a new worker answers on the admin socket');
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
  });

  it('sends a kept-alive client to the current instances after a reload and a rollout since', async () => {
    // A browser tab left open on an app: its connection was opened before HAProxy reloaded
    // (another environment appeared), and the app rolled out a new release since.
    const name = await createApp(platform, user, 'tab');
    const env = await environment(name);
    const v1 = await apps.start('tab-v1');
    const first = await runtime.release(env.id, [v1.port]);
    await serves(`${name}.localhost`, 'tab-v1');
    const tab = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await get(routerPort, `${name}.localhost`, '/', { agent: tab })).body).toBe('tab-v1');
      const before = await workerPid();
      const other = await preview(name, 'elsewhere');
      await eventually(() => url(`elsewhere--${name}.localhost`), (a) => a.status === 503, 'the new environment known to the router');
      await applied(other.id);
      expect(await workerPid()).not.toBe(before);

      const v2 = await apps.start('tab-v2');
      const second = await runtime.release(env.id, [v2.port], 'deploying');
      await runtime.activate(env.id, second.id);
      await serves(`${name}.localhost`, 'tab-v2');
      await runtime.stopInstances(first.id, env.id);
      await apps.stop(v1.id);

      // The process left over from the reload answers it: by handing it to the current one.
      const answer = await get(routerPort, `${name}.localhost`, '/headers', { agent: tab, headers: { 'x-request-id': 'kept-alive-tab-1' } });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ instance: 'tab-v2', headers: { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': `${name}.localhost`, 'x-request-id': 'kept-alive-tab-1' } });
      expect(answer.headers['x-request-id']).toBe('kept-alive-tab-1');
      await db.environment.delete({ where: { id: other.id } });
    } finally {
      tab.destroy();
    }
  });

  it('restarts HAProxy when it dies', async () => {
    const name = await createApp(platform, user, 'phoenix');
    const instance = await apps.start('phoenix-1');
    await runtime.release((await environment(name)).id, [instance.port]);
    await serves(`${name}.localhost`, 'phoenix-1');
    const pidFile = join(dataDir, 'router', String(routerPort), 'haproxy.pid');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await eventually(async () => Number(readFileSync(pidFile, 'utf8')), (now) => now !== pid, 'a new HAProxy started');
    await serves(`${name}.localhost`, 'phoenix-1');
  });

  it('leaves HAProxy serving when the router dies; the next router adopts it, and a graceful stop stops it', async () => {
    const port = await freePort();
    const dir = join(dataDir, 'router', String(port));
    const pidOf = () => Number(readFileSync(join(dir, 'haproxy.pid'), 'utf8'));
    const env = { ROUTER_PORT: String(port), ROUTER_HOST: '127.0.0.1', BERTH_DATA_DIR: dataDir };
    const name = await createApp(platform, user, 'survivor');
    const instance = await apps.start('survivor-1');
    await runtime.release((await environment(name)).id, [instance.port]);

    const first = await startRoles(['router'], env);
    const pid = pidOf();
    // Nothing ties HAProxy to the router: a session of its own (a kill of the router's process
    // group or session does not reach it), stdin from /dev/null, stderr to a file (a pipe to a
    // dead router would end it with SIGPIPE).
    const sessionOf = (p: number) => Number(readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[3]);
    expect(sessionOf(pid)).toBe(pid);
    expect(sessionOf(pid)).not.toBe(sessionOf(process.pid));
    expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe('/dev/null');
    expect(readlinkSync(`/proc/${pid}/fd/2`)).toBe(join(dir, 'haproxy.log'));
    await eventually(() => get(port, `${name}.localhost`), (a) => a.body === 'survivor-1', 'the first router serves');

    // The router ends the way a killed one does: without stopping HAProxy.
    const leftBehind = first.get(HaproxyProcess);
    leftBehind.stop = async () => (leftBehind as unknown as { stopWatching(): void }).stopWatching();
    const load = steadyLoad(port, `${name}.localhost`, 4);
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(processAlive(pid)).toBe(true);

    // The next router adopts it (same master, reloaded with the current routes) and applies changes through it.
    const second = await startRoles(['router'], env);
    try {
      expect(pidOf()).toBe(pid);
      const result = await load.stop();
      expect(result.failures).toEqual([]);
      expect(result.ok).toBeGreaterThan(0);
      const other = await apps.start('survivor-2');
      await runtime.release((await environment(name)).id, [other.port]);
      await eventually(() => get(port, `${name}.localhost`), (a) => a.body === 'survivor-2', 'the adopted HAProxy serves the new release');
    } finally {
      await second.close();
    }
    // A graceful stop stops it.
    expect(processAlive(pid)).toBe(false);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('runs a second router beside the first, and frees its port when stopped', async () => {
    const port = await freePort();
    const second = await startRoles(['router'], { ROUTER_PORT: String(port), ROUTER_HOST: '127.0.0.1', BERTH_DATA_DIR: dataDir });
    try {
      const name = await createApp(platform, user, 'twice');
      const instance = await apps.start('twice-1');
      await runtime.release((await environment(name)).id, [instance.port]);
      await eventually(() => get(port, `${name}.localhost`), (a) => a.body === 'twice-1', 'second router serves');
      await serves(`${name}.localhost`, 'twice-1');
    } finally {
      await second.close();
    }
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect((await url('nothing.localhost')).status).toBe(404); // the first one still runs
  });
});
