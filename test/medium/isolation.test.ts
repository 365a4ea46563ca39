import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp } from '../support/users';

describe('tenant isolation', () => {
  let platform: RunningPlatform;
  beforeAll(async () => (platform = await startPlatform()));
  afterAll(async () => platform.close());

  it("gives another team's user 404 for the app, its environments and its config, and changes nothing", async () => {
    const alice = await signUp(platform, 'alice');
    const mallory = await signUp(platform, 'mallory');
    const app = await createApp(platform, alice, 'private');
    await platform.http().patch(`/api/apps/${app}/environments/production/config`).set(alice.auth).send({ SECRET: 's3cret' }).expect(200);

    const attempts = [
      platform.http().get(`/api/apps/${app}`).set(mallory.auth),
      platform.http().get(`/api/apps/${app}/environments`).set(mallory.auth),
      platform.http().get(`/api/apps/${app}/environments/production`).set(mallory.auth),
      platform.http().get(`/api/apps/${app}/environments/production/config`).set(mallory.auth),
      platform.http().patch(`/api/apps/${app}/environments/production/config`).set(mallory.auth).send({ SECRET: 'pwned' }),
      platform.http().delete(`/api/apps/${app}`).set(mallory.auth),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('app_not_found');
      expect(JSON.stringify(response.body)).not.toContain('s3cret');
    }
    const list = await platform.http().get('/api/apps').set(mallory.auth).expect(200);
    expect(list.body.map((a: { name: string }) => a.name)).not.toContain(app);
    const config = await platform.http().get(`/api/apps/${app}/environments/production/config`).set(alice.auth).expect(200);
    expect(config.body).toEqual({ SECRET: 's3cret' });
  });

  it("does not show another team's members", async () => {
    const alice = await signUp(platform, 'alice');
    const mallory = await signUp(platform, 'mallory');
    await platform.http().get(`/api/teams/${alice.team}`).set(mallory.auth).expect(404);
    await platform.http().get(`/api/teams/${alice.team}/members`).set(mallory.auth).expect(404);
  });
});
