import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { containersOfApp } from '../support/fullstack';
import { WorkingCopy } from '../support/git';
import { BerthProcess } from '../support/process';
import { eventually, get } from '../support/router';
import { unique } from '../support/users';

jest.setTimeout(180_000);

const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

/**
 * The README's path, as a separate process: `npm start` (compiled, migrations applied to an
 * empty database, `node dist/apps/berth/src/main.js`), then sign up, create an app and
 * `git push` it over HTTP with the real git client, reach it through the router, kill the
 * roles' process (the supervisor starts it again), delete the app, and stop with SIGTERM.
 */
describe('npm start', () => {
  let berth: BerthProcess;
  let copy: WorkingCopy | undefined;
  let app: string | undefined;

  beforeAll(async () => {
    berth = await BerthProcess.create();
    await berth.prepare();
    await berth.start();
  });
  afterAll(async () => {
    await berth?.cleanup();
    copy?.remove();
    if (app) {
      const images = execFileSync('podman', ['images', '-q', '--filter', `label=berth.app=${app}`]).toString().split('\n').filter(Boolean);
      if (images.length) execFileSync('podman', ['rmi', '-f', ...new Set(images)], { stdio: 'ignore' });
      // The agent prunes a deleted app's network only every minute; the process is gone by then.
      const networks = execFileSync('podman', ['network', 'ls', '-q', '--filter', `label=berth.app=${app}`]).toString().split('\n').filter(Boolean);
      if (networks.length) execFileSync('podman', ['network', 'rm', '-f', ...networks], { stdio: 'ignore' });
    }
  });

  it('deploys a pushed static site to its URL on the router, and stops cleanly on SIGTERM', async () => {
    const api = (path: string, init: RequestInit & { token?: string } = {}) =>
      fetch(`${berth.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) } });

    const signup = await api('/api/auth/signup', { method: 'POST', body: JSON.stringify({ email: `${unique('npm-start')}@example.com`, password: 'a long password indeed' }) });
    expect(signup.status).toBe(201);
    const { token } = (await signup.json()) as { token: string };
    app = unique('hello');
    const created = await api('/api/apps', { method: 'POST', token, body: JSON.stringify({ name: app }) });
    expect(created.status).toBe(201);

    copy = await WorkingCopy.fromFixture('static');
    copy.write('public/index.html', 'hello from npm start\n');
    await copy.commitAll('hello');
    const push = await copy.push(`http://git:${token}@127.0.0.1:${berth.port}/git/${app}.git`, 'main');
    expect(push.code).toBe(0);
    expect(push.stderr).toContain(`remote:        http://${app}.localhost:${berth.routerPort}`);
    expect(await get(berth.routerPort, `${app}.localhost:${berth.routerPort}`)).toMatchObject({ status: 200, body: 'hello from npm start\n' });
    expect(containersOfApp(app).map((c) => [c.host, c.running])).toEqual([[berth.hostName, true]]);

    // The roles' process dies (kill -9): the supervisor says why and starts it again.
    const rolesPid = () => Number([...berth.output.matchAll(/started berth \(.*\) as process (\d+)/g)].at(-1)?.[1]);
    const killed = rolesPid();
    expect(killed).toBeGreaterThan(0);
    expect(killed).not.toBe(berth.pid);
    process.kill(killed, 'SIGKILL');
    await eventually(async () => berth.output, (out) => /berth was killed by SIGKILL after .*; starting it again in/.test(out), 'the supervisor to report the death', 10_000);
    await eventually(async () => rolesPid(), (pid) => pid !== killed, 'the roles to be started again', 15_000);
    await eventually(async () => fetch(`${berth.url}/healthz`).then((r) => r.status, () => 0), (status) => status === 200, 'the API to answer again', 60_000);
    await eventually(() => get(berth.routerPort, `${app}.localhost:${berth.routerPort}`), (res) => res.status === 200, 'the app to answer through the router again', 60_000);

    expect((await api(`/api/apps/${app}`, { method: 'DELETE', token })).status).toBe(204);
    await eventually(async () => containersOfApp(app!), (left) => left.length === 0, 'the deleted app to leave no container', 30_000);
    expect((await get(berth.routerPort, `${app}.localhost:${berth.routerPort}`)).status).toBe(404);
    expect(berth.leftovers().some((line) => /haproxy/.test(line))).toBe(true);

    const ended = await berth.stop('SIGTERM');
    // Stopped by the signal it was sent (Nest re-raises it once it has shut down), or exit 0.
    expect(ended.code === 0 || ended.signal === 'SIGTERM').toBe(true);
    expect(berth.leftovers()).toEqual([]);
    expect(await refuses(berth.port)).toBe(true);
    expect(await refuses(berth.routerPort)).toBe(true);
    expect(berth.output).not.toMatch(/\bERROR\b/);
  });
});
