import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Pushes } from '../support/builds';
import { FullStack, startFullStack } from '../support/fullstack';
import { gitUrl, WorkingCopy } from '../support/git';
import { eventually } from '../support/router';
import { signUp, TestUser } from '../support/users';

// Node.js builds download Node.js from the npm registry on a cold machine; the machine is shared.
jest.setTimeout(600_000);

/** What the release phase told the receiver, and what the router served for the app at that moment. */
interface Marker {
  body: string;
  servedThen: string;
}

/** An address of this host that containers on an app network can reach (not loopback, not a bridge). */
function hostAddress(): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (/^(lo|podman|cni|veth|docker|br-)/.test(name)) continue;
    const v4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  throw new Error('no host address that containers can reach');
}

/**
 * The release phase end to end: a Procfile `release:` command runs once per release in a
 * one-off container of that release with its config, before its instances take traffic. Its
 * effect is a POST to a small receiver this test runs on the host (reached through a config var,
 * MARKER_URL, so it also shows the release's config is there); the receiver notes what the
 * router served at that moment, which must still be the previous release.
 */
describe('release phase', () => {
  let stack: FullStack;
  let user: TestUser;
  let receiver: Server;
  const markers: Marker[] = [];
  const pushes = new Pushes(() => stack.platform);
  let app = '';

  const api = () => stack.platform.http();
  const host = () => `${app}.localhost:${stack.routerPort}`;
  const served = async () => (await stack.viaRouter(host())).body;
  const releases = async () =>
    (await api().get(`/api/apps/${app}/environments/production/releases`).set(user.auth).expect(200)).body as { version: number; status: string; current: boolean; failureReason: string | null }[];

  beforeAll(async () => {
    stack = await startFullStack({ env: { RELEASE_PHASE_TIMEOUT_SECONDS: '120', GIT_PUSH_DEPLOY_WAIT_SECONDS: '240', ROLLOUT_TIMEOUT_SECONDS: '180' } });
    user = await signUp(stack.platform);
    receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', async () => {
        const servedThen = await served().catch((error: Error) => `(no answer: ${error.message})`);
        markers.push({ body, servedThen });
        res.end('ok\n');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '0.0.0.0', resolve));
  });
  afterAll(async () => {
    receiver?.close();
    await pushes.cleanup();
    await stack?.close();
  });

  it('runs the release command before the release serves, streams its output to the push and the log, and a failure keeps the previous release serving', async () => {
    app = await pushes.app(user, 'relphase');
    const url = `http://${hostAddress()}:${(receiver.address() as AddressInfo).port}/marker`;
    await api().patch(`/api/apps/${app}/environments/production/config`).set(user.auth).send({ MARKER_URL: url, MARKER: 'config-seen' }).expect(200);
    const copy: WorkingCopy = await pushes.fixture('release-phase');
    const remote = gitUrl(stack.platform, app, user.token);

    const first = await copy.push(remote, 'main');
    expect(first.stderr).toContain('remote: -----> Running the release phase of v1: sh release.sh');
    expect(first.stderr).toContain('remote:        release phase: migrating version 1');
    expect(first.stderr).toContain('remote:        release phase: done');
    expect(first.code).toBe(0);
    expect(markers).toEqual([{ body: 'released version 1 with config-seen', servedThen: expect.not.stringContaining('version') }]);
    expect(await served()).toBe('version 1\n');
    // `release` is never a scaled process type.
    const formation = (await api().get(`/api/apps/${app}/environments/production/formation`).set(user.auth).expect(200)).body as { processType?: string; type?: string }[];
    expect(JSON.stringify(formation)).not.toMatch(/"release"/);

    copy.write('version.txt', 'version 2\n');
    await copy.commitAll('version 2');
    const second = await copy.push(remote, 'main');
    expect(second.code).toBe(0);
    // It ran before any instance of v2 took traffic: the router still served v1 then.
    expect(markers[1]).toEqual({ body: 'released version 2 with config-seen', servedThen: 'version 1\n' });
    expect(await served()).toBe('version 2\n');

    // A config change makes a release, which runs the release phase too (with the new config).
    await api().patch(`/api/apps/${app}/environments/production/config`).set(user.auth).send({ MARKER: 'config-changed' }).expect(200);
    await eventually(releases, (list) => list[0]?.version === 3 && list[0].status === 'active', 'v3 (the config change) to be current', 240_000);
    expect(markers[2]).toEqual({ body: 'released version 2 with config-changed', servedThen: 'version 2\n' });

    copy.write('version.txt', 'version 3\n');
    copy.write('fail-release', 'yes\n');
    await copy.commitAll('a migration that fails');
    const failing = await copy.push(remote, 'main');
    expect(failing.code).not.toBe(0);
    expect(failing.stderr).toContain('remote:        migration 2 failed: relation "users" already exists');
    expect(failing.stderr).toContain('Release v4 failed to start: release command exited with code 3: migration 2 failed: relation "users" already exists. v3 keeps serving.');
    expect(markers[3].body).toBe('released version 3 with config-changed');
    const [v4, v3] = await releases();
    expect(v4).toMatchObject({ version: 4, status: 'failed', current: false, failureReason: 'release command exited with code 3: migration 2 failed: relation "users" already exists' });
    expect(v3).toMatchObject({ version: 3, status: 'active', current: true });
    expect(await served()).toBe('version 2\n');
    // No instance of the failed release was ever started.
    const instances = (await api().get(`/api/apps/${app}/environments/production/instances`).set(user.auth).expect(200)).body as { release: number }[];
    expect(instances.every((i) => i.release === 3)).toBe(true);

    // The release phase's output is in the environment's log, as the `release` process.
    const log = await eventually(
      async () => (await api().get(`/api/apps/${app}/environments/production/logs?process=release&tail=1000`).set(user.auth).expect(200)).text,
      (text) => text.includes('migration 2 failed'),
      'the release output in the log',
    );
    expect(log).toMatch(/app\[release\]: release phase: migrating version 1/);
    expect(log).toMatch(/app\[release\]: migration 2 failed: relation "users" already exists/);
  });
});
