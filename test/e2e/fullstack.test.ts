import { Pushes } from '../support/builds';
import { containersOfApp, FullStack, parseInfo, startFullStack } from '../support/fullstack';
import { gitUrl, WorkingCopy } from '../support/git';
import { eventually, steadyLoad } from '../support/router';
import { sleep } from '../support/runtime';
import { signUp, TestUser } from '../support/users';

jest.setTimeout(120_000);

interface InstanceView {
  id: string;
  release: number;
  host: string | null;
  healthy: boolean;
  actualState: string;
}

/**
 * The whole path a user takes, with nothing faked: `git push` with the real git client to one
 * platform running every role (api, builder, scheduler, agent, router) plus two more agents,
 * each its own host on this machine's engine; then HTTP through the router, as a browser
 * would, to 127.0.0.1:<router port> with the app's Host header.
 */
describe('from git push to an app answering through the router', () => {
  let stack: FullStack;
  let user: TestUser;
  const pushes = new Pushes(() => stack.platform);

  beforeAll(async () => {
    stack = await startFullStack({ agents: 2 });
    user = await signUp(stack.platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await stack?.close();
  });

  const api = () => stack.platform.http();
  const remote = (app: string) => gitUrl(stack.platform, app, user.token);
  /** What a user types: the app's name on the router, with its port. */
  const hostOf = (app: string, env?: string) => `${env ? `${env}--` : ''}${app}.localhost:${stack.routerPort}`;

  async function commitPage(copy: WorkingCopy, text: string): Promise<void> {
    copy.write('public/index.html', text);
    await copy.commitAll(text.trim());
  }

  async function instances(app: string, env = 'production'): Promise<InstanceView[]> {
    return (await api().get(`/api/apps/${app}/environments/${env}/instances`).set(user.auth).expect(200)).body;
  }

  async function releases(app: string, env = 'production') {
    return (await api().get(`/api/apps/${app}/environments/${env}/releases`).set(user.auth).expect(200)).body as { version: number; current: boolean; status: string; description: string; image: { digest: string } }[];
  }

  /** Waits until `version` is current with `count` healthy web instances and nothing else runs. */
  function settled(app: string, version: number, count = 1): Promise<InstanceView[]> {
    return eventually(
      async () => ({ current: (await releases(app)).find((r) => r.current)?.version, list: await instances(app) }),
      ({ current, list }) => current === version && list.length === count && list.every((i) => i.release === version && i.healthy),
      `v${version} of ${app} current with ${count} healthy instance(s) and nothing else`,
      60_000,
    ).then(({ list }) => list);
  }

  /** Runs `work` while clients keep asking `host` for its page over kept-alive connections. */
  async function underLoad<T>(host: string, work: () => Promise<T>) {
    const load = steadyLoad(stack.routerPort, host, 4);
    const outcome = await work().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const traffic = await load.stop();
    if ('error' in outcome) throw outcome.error;
    return { value: outcome.value, ...traffic };
  }

  describe('branches are environments, each at its own URL', () => {
    let app: string;
    let copy: WorkingCopy;

    it('serves main and feature/Login_Page each at its own URL, and answers an unknown name with the 404 page', async () => {
      app = await pushes.app(user, 'shop');
      copy = await pushes.fixture('static');
      await commitPage(copy, 'shop main v1\n');
      const main = await copy.push(remote(app), 'main');
      expect(main.code).toBe(0);
      expect(main.stderr).toMatch(new RegExp(`remote: -----> Deployed main \\([0-9a-f]{7}\\) to production:\\s+remote:\\s+http://${app}\\.localhost:${stack.routerPort}\\s`));
      // The build's log, as the dashboard streams it, goes on to its release before it ends.
      const [build] = (await api().get(`/api/apps/${app}/builds`).set(user.auth).expect(200)).body;
      const stream = await (await fetch(`${stack.platform.url}/api/apps/${app}/builds/${build.id}/log`, { headers: user.auth })).text();
      const data = stream.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice('data: '.length));
      expect(data).toContain('-----> Releasing v1…');
      expect(data.slice(-2)).toEqual(['       Deployed v1: 1 web instance healthy', JSON.stringify({ status: 'succeeded', failureReason: null })]);
      expect(stream).toMatch(/\nevent: end\ndata: [^\n]+\n\n$/);

      await copy.git('checkout', '--quiet', '-b', 'feature/Login_Page');
      await commitPage(copy, 'shop login page\n');
      const feature = await copy.push(remote(app), 'feature/Login_Page');
      expect(feature.code).toBe(0);
      expect(feature.stderr).toContain('remote: -----> Created preview environment feature-login-page for branch feature/Login_Page');
      expect(feature.stderr).toContain(`remote:        http://feature-login-page--${app}.localhost:${stack.routerPort}`);

      // Right after the push, as the user who copies the URL from it.
      expect(await stack.viaRouter(hostOf(app))).toMatchObject({ status: 200, body: 'shop main v1\n' });
      expect(await stack.viaRouter(hostOf(app, 'feature-login-page'))).toMatchObject({ status: 200, body: 'shop login page\n' });
      const environments = (await api().get(`/api/apps/${app}/environments`).set(user.auth).expect(200)).body;
      expect(environments.map((e: { name: string; url: string }) => [e.name, e.url])).toEqual([
        ['production', `http://${app}.localhost:${stack.routerPort}`],
        ['feature-login-page', `http://feature-login-page--${app}.localhost:${stack.routerPort}`],
      ]);

      const unknown = await stack.viaRouter(hostOf(`no-such-${app}`));
      expect(unknown.status).toBe(404);
      expect(unknown.body).toContain(`Nothing on Berth answers to no-such-${app}.localhost`);
      const unknownPreview = await stack.viaRouter(hostOf(app, 'no-such-branch'));
      expect(unknownPreview.status).toBe(404);
    });

    it('deletes the environment, its route and its containers when the branch is deleted', async () => {
      expect(containersOfApp(app).filter((c) => c.env === 'feature-login-page' && c.running)).toHaveLength(1);
      const deleted = await copy.push(remote(app), ':feature/Login_Page');
      expect(deleted.code).toBe(0);
      expect(deleted.stderr).toContain('remote: -----> Deleted environment feature-login-page with branch feature/Login_Page');

      await api().get(`/api/apps/${app}/environments/feature-login-page`).set(user.auth).expect(404);
      const gone = await eventually(() => stack.viaRouter(hostOf(app, 'feature-login-page')), (a) => a.status === 404, 'the deleted preview answers 404');
      expect(gone.body).toContain(`Nothing on Berth answers to feature-login-page--${app}.localhost`);
      await eventually(async () => containersOfApp(app).filter((c) => c.env === 'feature-login-page'), (left) => left.length === 0, "the preview's containers are removed");
      // Production is untouched.
      expect(await stack.viaRouter(hostOf(app))).toMatchObject({ status: 200, body: 'shop main v1\n' });
      expect(containersOfApp(app).map((c) => [c.env, c.running])).toEqual([['production', true]]);
    });

    it('rolls out a second push of main under steady load without a failed request', async () => {
      await copy.git('checkout', '--quiet', 'main');
      await commitPage(copy, 'shop main v2\n');
      const [before] = containersOfApp(app);
      const { value: push, seen, failures, ok } = await underLoad(hostOf(app), async () => {
        const result = await copy.push(remote(app), 'main');
        // The old instance stops after the push ends (after ROLLOUT_DRAIN_SECONDS): keep asking until it is gone.
        await eventually(async () => containersOfApp(app), (list) => list.length === 1 && list[0].id !== before.id, 'only the new container runs');
        await sleep(500);
        return result;
      });
      expect(push.code).toBe(0);
      expect(push.stderr).toMatch(/remote:\s+Deployed v2: 1 web instance healthy/);
      expect(failures).toEqual([]);
      expect(seen.get('shop main v1\n')).toBeGreaterThan(0);
      expect(seen.get('shop main v2\n')).toBeGreaterThan(0);
      expect(ok).toBe((seen.get('shop main v1\n') ?? 0) + (seen.get('shop main v2\n') ?? 0));
      expect(await stack.viaRouter(hostOf(app))).toMatchObject({ status: 200, body: 'shop main v2\n' });
    });
  });

  describe('a pushed app under its formation', () => {
    let app: string;
    let copy: WorkingCopy;
    let base: string;
    const info = async (app: string) => parseInfo((await stack.viaRouter(hostOf(app), '/cgi-bin/info')).body);

    beforeAll(async () => {
      app = await pushes.app(user, 'cgi');
      base = `/api/apps/${app}/environments/production`;
      copy = await pushes.fixture('static-cgi');
      await commitPage(copy, 'cgi v1\n');
      const push = await copy.push(remote(app), 'main');
      expect(push.code).toBe(0);
    });

    it('runs its containers under the memory, CPU, pids and disk limits asked for', async () => {
      await api().patch(`${base}/formation`).set(user.auth).send({ web: { memoryMb: 96, cpu: 0.25, pidsLimit: 40, diskMb: 96 } }).expect(200);
      const [instance] = await settled(app, 2);
      const [container] = containersOfApp(app);
      expect(container).toMatchObject({ release: 'v2', instance: instance.id, running: true });

      // Read from inside the serving container's own cgroup, through the router.
      const seen = await info(app);
      expect(seen).toMatchObject({ container: container.id, memory: String(96 * 1024 * 1024), memsw: String(96 * 1024 * 1024), quota: '25000', period: '100000', pids: '40' });
      expect(seen.uid).not.toBe('0');
      // No capabilities, no way to gain privileges, no engine socket to reach.
      expect(seen).toMatchObject({ capeff: '0000000000000000', nonewprivs: '1', sockets: '0' });

      // A one-off run of the same release gets the web process's limits too, and a disk of its
      // size at /app holding the app's files: writing past it fails inside, as does the root.
      const command = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; cat public/index.html; dd if=/dev/zero of=fill bs=1M count=150; touch /usr/x';
      const run = await api().post(`${base}/run`).set(user.auth).send({ command }).expect(200);
      expect(run.text).toContain(`${96 * 1024 * 1024}\n40\ncgi v1\n`);
      expect(run.text).toMatch(/No space left on device/);
      expect(run.text).toMatch(/Read-only file system/);
      expect(run.text.trim().split('\n').pop()).toBe('[berth] exited with code 1');
    });

    it('shows a config change to the app as a new release, and rollback restores the earlier image and config', async () => {
      await api().patch(`${base}/config`).set(user.auth).send({ GREETING: 'hello' }).expect(200); // v3
      await settled(app, 3);
      expect(await info(app)).toMatchObject({ greeting: 'hello' });

      await commitPage(copy, 'cgi v2\n');
      const push = await copy.push(remote(app), 'main'); // v4
      expect(push.code).toBe(0);
      await api().patch(`${base}/config`).set(user.auth).send({ GREETING: 'goodbye' }).expect(200); // v5
      await settled(app, 5);
      expect(await stack.viaRouter(hostOf(app))).toMatchObject({ status: 200, body: 'cgi v2\n' });
      expect(await info(app)).toMatchObject({ greeting: 'goodbye', memory: String(96 * 1024 * 1024) });

      const rollback = await api().post(`${base}/releases/v3/rollback`).set(user.auth).expect(201);
      expect(rollback.body).toMatchObject({ version: 6, description: 'Rollback to v3' });
      await settled(app, 6);
      expect(await stack.viaRouter(hostOf(app))).toMatchObject({ status: 200, body: 'cgi v1\n' });
      expect(await info(app)).toMatchObject({ greeting: 'hello' });
      const list = await releases(app);
      expect(list.map((r) => [r.version, r.description])).toEqual([
        [6, 'Rollback to v3'],
        [5, 'Set GREETING'],
        [4, expect.stringMatching(/^Deploy [0-9a-f]{7}$/)],
        [3, 'Set GREETING'],
        [2, expect.stringMatching(/^Resize web/)],
        [1, expect.stringMatching(/^Deploy [0-9a-f]{7}$/)],
      ]);
      expect(list[0].image.digest).toBe(list[5].image.digest);
      expect(list[0].image.digest).not.toBe(list[1].image.digest);
      expect((await api().get(`${base}/config`).set(user.auth).expect(200)).body).toEqual({ GREETING: 'hello' });
    });

    it('scales web to 3 across the 3 hosts', async () => {
      await api().patch(`${base}/formation`).set(user.auth).send({ web: { quantity: 3 } }).expect(200); // v7
      const list = await settled(app, 7, 3);
      expect(new Set(list.map((i) => i.host))).toEqual(new Set(stack.hostNames()));
      const running = containersOfApp(app);
      expect(running.map((c) => c.instance).sort()).toEqual(list.map((i) => i.id).sort());
    });

    // The rollout to v7 freed the slot of v6's instance and refilled it in the same plan; the
    // router used to put it in maintenance after refilling it, and one instance took nothing.
    it('routes requests to each of the 3 instances', async () => {
      const running = containersOfApp(app);
      const answered = new Set<string>();
      for (let i = 0; i < 30 && answered.size < 3; i++) answered.add((await info(app)).container);
      expect([...answered].sort()).toEqual(running.map((c) => c.id).sort());
    });

    it('leaves no duplicated or orphaned containers when an agent is killed and restarted, and keeps serving', async () => {
      const [lost, bounced] = stack.agents;
      const before = await settled(app, 7, 3);
      const moved = before.find((i) => i.host === lost.name)!;
      const { failures, ok } = await underLoad(hostOf(app), async () => {
        // Gone long enough to be marked down (HOST_DOWN_AFTER_SECONDS): its instance is placed
        // elsewhere, while its container, cut off from any agent, runs on.
        await lost.stop();
        await eventually(() => instances(app), (list) => list.length === 3 && list.every((i) => i.healthy && i.host !== lost.name), 'the instance of the lost host to run elsewhere', 60_000);
        expect(containersOfApp(app).filter((c) => c.host === lost.name && c.running)).toHaveLength(1);
        await stack.addAgent(lost.name);
        await eventually(async () => containersOfApp(app), (list) => list.length === 3 && !list.some((c) => c.host === lost.name), 'the returning agent to remove what is no longer its own', 30_000);

        // Back at once: it adopts its container rather than start another.
        const kept = containersOfApp(app).filter((c) => c.host === bounced.name);
        expect(kept.length).toBeGreaterThan(0);
        await bounced.stop();
        await stack.addAgent(bounced.name);
        await sleep(2000); // a few rounds of every agent
        expect(containersOfApp(app).filter((c) => c.host === bounced.name)).toEqual(kept);
      });
      const after = await instances(app);
      const containers = containersOfApp(app);
      expect(after.map((i) => i.id).sort()).toEqual(before.map((i) => i.id).sort());
      expect(after.every((i) => i.healthy)).toBe(true);
      expect(after.find((i) => i.id === moved.id)!.host).not.toBe(lost.name);
      // One running container per instance, on the host the instance is placed on.
      expect(containers.map((c) => [c.instance, c.host, c.running]).sort()).toEqual(after.map((i) => [i.id, i.host, true]).sort());
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(0);
    });

    it('answers 503 saying why when it is scaled to zero', async () => {
      await api().patch(`${base}/formation`).set(user.auth).send({ web: { quantity: 0 } }).expect(200);
      const page = await eventually(() => stack.viaRouter(hostOf(app)), (a) => a.status === 503, 'the 503 page');
      expect(page.body).toContain('The web process is scaled to zero.');
      expect(page.body).toContain('PATCH /api/apps/:app/environments/:env/formation');
      await eventually(async () => containersOfApp(app), (list) => list.length === 0, 'no containers left');
      const environment = (await api().get(base).set(user.auth).expect(200)).body;
      expect(environment.status).toMatchObject({ state: 'scaled_to_zero' });
    });
  });

  it('answers 503 saying the build failed for an environment whose first build failed, and 404 for a preview whose first push failed', async () => {
    const app = await pushes.app(user, 'broken');
    const copy = await pushes.fixture('broken-nothing');
    const push = await copy.push(remote(app), 'main');
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('remote:  !     No buildpack matches this commit.');
    const page = await stack.viaRouter(hostOf(app));
    expect(page.status).toBe(503);
    expect(page.body).toContain(`${app} is not running`);
    expect(page.body).toContain('The last build failed: No buildpack matches this commit.');
    expect(page.body).toContain(`git push <berth remote> main`);

    await copy.git('checkout', '--quiet', '-b', 'broken-preview');
    const preview = await copy.push(remote(app), 'broken-preview');
    expect(preview.code).not.toBe(0);
    expect((await stack.viaRouter(hostOf(app, 'broken-preview'))).status).toBe(404);
    expect(containersOfApp(app)).toEqual([]);
  });
});
