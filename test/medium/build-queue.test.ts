import { BuildQueueSweeper, BuildsProducer } from '@berth/builds';
import { PrismaService } from '@berth/db';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';

/**
 * With every builder gone, a push must not wait for ever: the api (which always runs) settles
 * builds queued past BUILD_QUEUE_TIMEOUT_SECONDS and says why. No builder runs in this file.
 */
describe('build queue with no builder', () => {
  let platform: RunningPlatform;
  let user: TestUser;

  beforeAll(async () => {
    platform = await startPlatform(['api'], { BUILD_QUEUE_TIMEOUT_SECONDS: '120' });
    user = await signUp(platform);
  });
  afterAll(() => platform.close());

  async function queuedBuild(app: string, minutesAgo: number, sha: string) {
    const db = platform.app.get(PrismaService);
    const row = await db.app.findUniqueOrThrow({ where: { name: app }, include: { environments: true } });
    const createdAt = new Date(Date.now() - minutesAgo * 60_000);
    const build = await db.build.create({ data: { appId: row.id, environmentId: row.environments[0].id, commitSha: sha.repeat(40), branch: 'main', status: 'queued', createdAt } });
    await platform.app.get(BuildsProducer).enqueue({ id: build.id, appId: row.id, environmentId: build.environmentId, commitSha: build.commitSha });
    return build;
  }

  it('fails a build queued too long while no builder is connected, naming what to do; a younger one waits', async () => {
    const app = await createApp(platform, user);
    expect(await platform.app.get(BuildsProducer).builderCount()).toBe(0);
    const old = await queuedBuild(app, 5, 'a');
    const young = await queuedBuild(app, 1.5, 'b');
    expect(await platform.app.get(BuildQueueSweeper).sweep()).toBe(1);
    const shown = await platform.http().get(`/api/apps/${app}/builds/${old.id}`).set(user.auth).expect(200);
    expect(shown.body).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/^No builder is running.*start a builder/) });
    const waiting = await platform.http().get(`/api/apps/${app}/builds/${young.id}`).set(user.auth).expect(200);
    expect(waiting.body.status).toBe('queued');
  });
});
