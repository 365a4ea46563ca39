import { PrismaService } from '@berth/db';
import { BuildReleaser, DeployFollower } from '@berth/releases';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';
import { containersOf, deploy, ensureWebImage, eventually, FAST, getFrom, insertImage, isolatedCluster, PROCESS_TYPES, removeContainersOf, startAgent, TestAgent } from '../support/runtime';

jest.setTimeout(120_000);

describe('deploying a release onto a host', () => {
  let platform: RunningPlatform;
  let agent: TestAgent;
  let user: TestUser;
  let tag: string;
  let cluster: Awaited<ReturnType<typeof isolatedCluster>>;

  beforeAll(async () => {
    tag = ensureWebImage('one');
    cluster = await isolatedCluster();
    platform = await startPlatform(['api', 'scheduler'], { ...FAST, ...cluster.env });
    agent = await startAgent({ memoryMb: 2048, cpu: 2, env: cluster.env });
    user = await signUp(platform);
  });
  afterAll(async () => {
    await agent?.stop();
    removeContainersOf([agent?.name].filter(Boolean));
    await platform?.close();
    await cluster?.drop();
  });

  it('runs the web process under the memory, CPU and pids limits of its formation', async () => {
    const app = await createApp(platform, user, 'limits');
    await deploy(platform, app, { tag, processTypes: { web: PROCESS_TYPES.web } });
    const releases = await platform.http().get(`/api/apps/${app}/environments/production/releases`).set(user.auth).expect(200);
    expect(releases.body[0]).toMatchObject({ version: 1, status: 'active', current: true, description: expect.stringMatching(/^Deploy [0-9a-f]{7}$/) });

    await platform.http().patch(`/api/apps/${app}/environments/production/formation`).set(user.auth).send({ web: { memoryMb: 96, cpu: 0.25, pidsLimit: 40 } }).expect(200);
    const instance = await eventually('the resized instance to be healthy', async () => {
      const res = await platform.http().get(`/api/apps/${app}/environments/production/instances`).set(user.auth).expect(200);
      return res.body.find((i: { release: number; healthy: boolean }) => i.release === 2 && i.healthy);
    });
    expect(instance).toMatchObject({ name: 'web.1', host: agent.name, actualState: 'running', memory: { limitBytes: 96 * 1024 * 1024 }, cpu: { limit: 0.25 } });

    const db = platform.app.get(PrismaService);
    const row = await db.instance.findUniqueOrThrow({ where: { id: instance.id }, include: { host: true } });
    const limits = await getFrom(row.host!.address, row.hostPort!, '/cgi-bin/limits');
    const seen = Object.fromEntries(limits.text.trim().split('\n').map((line) => line.split(' ')));
    expect(seen).toMatchObject({ memory: String(96 * 1024 * 1024), memsw: String(96 * 1024 * 1024), quota: '25000', period: '100000', pids: '40', nofile: '1024', CapEff: '0000000000000000', NoNewPrivs: '1' });
    expect(seen.uid).not.toBe('0');
    expect(seen.socket).toBeUndefined();

    // Resource use, read from the container's cgroup by the agent.
    const measured = await eventually('memory and CPU use to be reported', async () => {
      const res = await platform.http().get(`/api/apps/${app}/environments/production/instances`).set(user.auth).expect(200);
      const view = res.body.find((i: { id: string }) => i.id === instance.id);
      return view?.memory.usageBytes > 0 && view.cpu.percent !== null && view;
    });
    expect(measured.memory.usageBytes).toBeLessThan(96 * 1024 * 1024);
    expect(measured.cpu.percent).toBeGreaterThanOrEqual(0);
    expect(measured.startedAt).toEqual(expect.any(String));

    // The old release's container is gone once the new one serves.
    await eventually('only the new container to remain', async () => containersOf(agent.name).length === 1);
    expect(containersOf(agent.name)[0].instance).toBe(instance.id);
  });

  it('tells the pusher how the rollout goes, line by line', async () => {
    const app = await createApp(platform, user, 'follow');
    const db = platform.app.get(PrismaService);
    const releaser = platform.app.get(BuildReleaser);
    const follower = platform.app.get(DeployFollower);
    const say = (lines: string[]) => async (line: string) => void lines.push(line);

    const good = await insertImage(db, app, { tag, processTypes: { web: PROCESS_TYPES.web } });
    const { release: v1 } = await releaser.release(good.build.id);
    const first: string[] = [];
    expect(await follower.follow(v1!.id, say(first))).toEqual({ outcome: 'active', message: 'Deployed v1: 1 web instance healthy' });
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((line) => /^[01] of 1 web instance healthy…$/.test(line))).toBe(true);

    const bad = await insertImage(db, app, { tag, processTypes: { web: PROCESS_TYPES.broken } });
    const { release: v2 } = await releaser.release(bad.build.id);
    const second: string[] = [];
    expect(await follower.follow(v2!.id, say(second))).toEqual({ outcome: 'failed', message: 'Release v2 failed: web.1 exited with code 3. The previous release keeps serving.' });
  });
});
