import { INestApplicationContext } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { Pushes } from '../support/builds';
import { gitUrl, WorkingCopy } from '../support/git';
import { freePort, RunningPlatform, startPlatform, startRoles } from '../support/platform';
import { BerthProcess } from '../support/process';
import { get } from '../support/router';
import { eventually, FAST, isolatedCluster, removeContainersOf } from '../support/runtime';
import { signUp, TestUser, unique } from '../support/users';

jest.setTimeout(240_000);

/** A web app whose build takes a few seconds (a fresh nonce defeats the cache), serving `text`. */
async function slowSite(pushes: Pushes, text: string): Promise<WorkingCopy> {
  const copy = await pushes.fixture('dockerfile', { nonce: true });
  copy.write(
    'Dockerfile',
    [
      'FROM localhost/berth/stack:bookworm-2',
      'COPY nonce /nonce',
      'RUN sleep 4; echo "slow step of $(cat /nonce) done"',
      'COPY index.html /srv/www/index.html',
      'USER app',
      'CMD exec busybox httpd -f -p "${PORT:-8080}" -h /srv/www',
    ].join('\n'),
  );
  copy.write('index.html', text);
  await copy.commitAll(text);
  return copy;
}

/**
 * Deploys survive the process that took the push, and a push says "Deployed" only when its
 * release serves. The api runs as a process of its own (compiled, `BERTH_ROLES=api`) that the
 * test kills with SIGKILL; builder, scheduler, agent, router and a second api run in this one,
 * on one database, Redis prefix and data directory. The api runs unsupervised (BERTH_SUPERVISE=false):
 * killing it is the api process dying, not a supervisor that would start it again.
 */
describe('durable deploys', () => {
  let cluster: Awaited<ReturnType<typeof isolatedCluster>>;
  let platform: RunningPlatform;
  let scheduler: INestApplicationContext | null = null;
  let api: BerthProcess;
  let user: TestUser;
  let shared: Record<string, string>;
  let routerPort: number;
  const hostName = unique('host').replace(/[^a-z0-9-]/g, '');
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-durable-'));
  const pushes = new Pushes(() => platform);

  const serves = (app: string) => get(routerPort, `${app}.localhost:${routerPort}`).catch(() => ({ status: 0, body: '' }));
  const serverBranch = async (app: string) => {
    const row = await platform.app.get(PrismaService).app.findUniqueOrThrow({ where: { name: app } });
    try {
      return execFileSync('git', ['--git-dir', join(dataDir, 'repos', `${row.id}.git`), 'rev-parse', '--verify', '-q', 'refs/heads/main']).toString().trim();
    } catch {
      return null;
    }
  };

  beforeAll(async () => {
    cluster = await isolatedCluster();
    routerPort = await freePort();
    shared = { ...FAST, ...cluster.env, BERTH_DATA_DIR: dataDir, ROUTER_PORT: String(routerPort), ROUTER_HOST: '127.0.0.1' };
    api = await BerthProcess.create({ ...shared, BERTH_ROLES: 'api', BERTH_SUPERVISE: 'false', BERTH_SECRET_KEY: process.env.BERTH_SECRET_KEY!, GIT_PUSH_DEPLOY_WAIT_SECONDS: '90' });
    const compiled = api.prepare();
    platform = await startPlatform(['builder', 'agent', 'router'], { ...shared, BERTH_HOST_NAME: hostName, AGENT_MEMORY_MB: '1024', AGENT_CPU: '2', GIT_PUSH_DEPLOY_WAIT_SECONDS: '90' });
    scheduler = await startRoles(['scheduler'], shared);
    await compiled;
    await api.start();
    user = await signUp(platform);
  });
  afterAll(async () => {
    await api?.cleanup();
    await scheduler?.close();
    await pushes.cleanup();
    await platform?.close();
    removeContainersOf([hostName]);
    await cluster?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('releases a build whose api was killed mid-push; the branch stays, and pushing the commit again deploys it', async () => {
    const app = await pushes.app(user, 'killed');
    const copy = await slowSite(pushes, 'survived the api\n');
    const db = platform.app.get(PrismaService);
    const url = `http://git:${user.token}@127.0.0.1:${api.port}/git/${app}.git`;

    const pushing = copy.push(url, 'main');
    const build = await eventually('the build to start', () => db.build.findFirst({ where: { app: { name: app }, status: 'building' } }), 60_000, 100);
    await api.stop('SIGKILL');
    const push = await pushing;
    expect(push.code).not.toBe(0);
    expect(push.stderr).not.toMatch(/Deployed|Everything up-to-date/);

    // The builder finishes, and a process still alive (this one) releases the build once.
    await eventually('the orphaned build to be released and serve', async () => (await serves(app)).body === 'survived the api\n', 90_000);
    const releases = await db.release.findMany({ where: { environment: { app: { name: app } } } });
    expect(releases.map((r) => [r.version, r.buildId, r.status])).toEqual([[1, build.id, 'active']]);
    expect((await db.build.findUniqueOrThrow({ where: { id: build.id } })).log).toContain('Berth released the build after the push that waited on it ended');
    // The hook failed closed: the branch did not move, so the same commit can be pushed again.
    expect(await serverBranch(app)).toBeNull();

    await api.start();
    const again = await copy.push(url, 'main');
    expect(again.stderr).not.toContain('Everything up-to-date');
    expect(again.stderr).toMatch(/remote:\s+Deployed v2: 1 web instance healthy[\s\S]*remote: -----> Deployed main \([0-9a-f]{7}\) to production:/);
    expect(again.code).toBe(0);
    expect(await serverBranch(app)).toBe(await copy.head());
    expect((await serves(app)).body).toBe('survived the api\n');
  });

  it('fails a push whose release waits for a scheduler or for room, leaves the branch, and deploys once it can', async () => {
    const app = await pushes.app(user, 'waits');
    const copy = await pushes.fixture('dockerfile');
    const url = gitUrl(platform, app, user.token);
    const db = platform.app.get(PrismaService);
    const config = platform.app.get(BerthConfig);
    const commit = async (text: string) => {
      copy.write('index.html', text);
      await copy.commitAll(text);
    };
    let push = await copy.push(url, 'main');
    expect(push.code).toBe(0);
    expect(push.stderr).toMatch(/remote: -----> Deployed main/);
    let served = await copy.head();

    // No scheduler: the push gives up after GIT_PUSH_DEPLOY_WAIT_SECONDS; the release goes on once one runs.
    await scheduler!.close();
    scheduler = null;
    await commit('second\n');
    config.git.pushDeployWaitMs = 3000;
    try {
      push = await copy.push(url, 'main');
    } finally {
      config.git.pushDeployWaitMs = 90_000;
    }
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/remote:  !     Release v2 (is queued: no scheduler has taken it in 3 s\. It rolls out when a process with the scheduler role|is still queued after 3 s)/);
    expect(push.stderr).toContain('remote:  !     main was not moved on Berth');
    expect(push.stderr).not.toMatch(/Deployed main|Everything up-to-date/);
    expect(await serverBranch(app)).toBe(served);
    scheduler = await startRoles(['scheduler'], shared);
    await eventually('the queued release v2 to be current', () => db.release.findFirst({ where: { environment: { app: { name: app } }, version: 2, status: 'active' } }), 60_000);
    await eventually('the new commit to serve', async () => (await serves(app)).body === 'second\n', 30_000);

    // Pushing the commit again deploys it and moves the branch.
    push = await copy.push(url, 'main');
    expect(push.stderr).not.toContain('Everything up-to-date');
    expect(push.code).toBe(0);
    served = await copy.head();
    expect(await serverBranch(app)).toBe(served);

    // Booking as much memory as the one host has, which runs this app and the other test's: the release waits for room, and the push says so.
    await platform.http().patch(`/api/apps/${app}/environments/production/formation`).set(user.auth).send({ web: { memoryMb: 1024, memoryRequestMb: 1024 } }).expect(200);
    await commit('third\n');
    push = await copy.push(url, 'main');
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/remote:  !     Release v5 waits for room on a host: no host has 1024 MiB of memory free\. v\d+ keeps serving\.\s+remote:        Lower what it books \(quantity, memoryRequestMb or cpuRequest in the formation/);
    expect(push.stderr).toContain('remote:  !     main was not moved on Berth');
    expect(push.stderr).not.toMatch(/Deployed main/);
    expect(await serverBranch(app)).toBe(served);
    expect((await serves(app)).body).toBe('second\n');

    // Room again: the newest release (v6, with v5's image) becomes current and the waiting ones stop waiting.
    await platform.http().patch(`/api/apps/${app}/environments/production/formation`).set(user.auth).send({ web: { memoryMb: 128, memoryRequestMb: null } }).expect(200);
    await eventually('v6 to be current', () => db.release.findFirst({ where: { environment: { app: { name: app } }, version: 6, status: 'active' } }), 60_000);
    await eventually('the waiting releases to be superseded', async () => (await db.release.count({ where: { environment: { app: { name: app } }, status: { in: ['pending', 'deploying'] } } })) === 0, 30_000);
  });
});
