import { PrismaService } from '@berth/db';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';

/** The builds API over rows in the database (no builder involved). */
describe('builds API', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  let app: string;
  let ids: { failed: string; succeeded: string };

  beforeAll(async () => {
    platform = await startPlatform();
    user = await signUp(platform);
    app = await createApp(platform, user);
    const db = platform.app.get(PrismaService);
    const appRow = await db.app.findUniqueOrThrow({ where: { name: app }, include: { environments: true } });
    const env = appRow.environments[0];
    const older = new Date(Date.now() - 60_000);
    const failed = await db.build.create({
      data: { appId: appRow.id, environmentId: env.id, commitSha: 'a'.repeat(40), branch: 'main', status: 'failed', failureReason: 'it broke', log: 'line one\nline two\n', createdAt: older, finishedAt: older },
    });
    const succeeded = await db.build.create({
      data: { appId: appRow.id, environmentId: env.id, commitSha: 'b'.repeat(40), branch: 'main', status: 'succeeded', buildpack: 'static', log: 'built\n' },
    });
    const image = await db.image.create({
      data: { appId: appRow.id, buildId: succeeded.id, digest: `sha256:${'c'.repeat(64)}`, tag: `localhost/berth/${app}:cccccccccccc`, sizeBytes: 1234n, commitSha: 'b'.repeat(40), processTypes: { web: 'x' } },
    });
    await db.build.update({ where: { id: succeeded.id }, data: { imageId: image.id } });
    ids = { failed: failed.id, succeeded: succeeded.id };
  });
  afterAll(async () => platform.close());

  it('lists builds newest first, without logs, with their images', async () => {
    const res = await platform.http().get(`/api/apps/${app}/builds`).set(user.auth).expect(200);
    expect(res.body.map((b: { id: string }) => b.id)).toEqual([ids.succeeded, ids.failed]);
    expect(res.body[0]).toMatchObject({ environment: 'production', status: 'succeeded', image: { tag: `localhost/berth/${app}:cccccccccccc`, sizeBytes: 1234, processTypes: { web: 'x' } } });
    expect(res.body[0].log).toBeUndefined();
    expect((await platform.http().get(`/api/apps/${app}/builds?limit=1`).set(user.auth).expect(200)).body).toHaveLength(1);
    expect((await platform.http().get(`/api/apps/${app}/builds?environment=nope`).set(user.auth).expect(200)).body).toEqual([]);
    const bad = await platform.http().get(`/api/apps/${app}/builds?limit=0`).set(user.auth).expect(400);
    expect(bad.body.fields).toEqual({ limit: 'must be a whole number from 1 to 200' });
  });

  it('shows one build with its log, and its log as server-sent events', async () => {
    const one = await platform.http().get(`/api/apps/${app}/builds/${ids.failed}`).set(user.auth).expect(200);
    expect(one.body).toMatchObject({ status: 'failed', failureReason: 'it broke', log: 'line one\nline two\n', image: null });
    const sse = await platform.http().get(`/api/apps/${app}/builds/${ids.failed}/log`).set(user.auth).expect(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sse.text).toBe('data: line one\n\ndata: line two\n\nevent: end\ndata: {"status":"failed","failureReason":"it broke"}\n\n');
  });

  it("answers 404 for another team's build, a build of another app and a malformed id", async () => {
    const stranger = await signUp(platform, 'stranger');
    await platform.http().get(`/api/apps/${app}/builds/${ids.failed}`).set(stranger.auth).expect(404);
    const mine = await createApp(platform, user);
    const other = await platform.http().get(`/api/apps/${mine}/builds/${ids.failed}`).set(user.auth).expect(404);
    expect(other.body.code).toBe('build_not_found');
    await platform.http().get(`/api/apps/${app}/builds/not-a-uuid`).set(user.auth).expect(404);
    await platform.http().get(`/api/apps/${app}/builds`).expect(401);
  });
});
