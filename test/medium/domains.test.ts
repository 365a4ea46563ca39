import { EventEmitter2 } from '@nestjs/event-emitter';
import { ENVIRONMENT_DELETED, EnvironmentsService } from '@berth/tenant-apps';
import { PrismaService } from '@berth/db';
import { RedisService } from '@berth/redis';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser, unique } from '../support/users';

describe('custom domains and environment lifecycle', () => {
  let platform: RunningPlatform;
  let owner: TestUser;
  let db: PrismaService;
  beforeAll(async () => {
    platform = await startPlatform(['api'], { PREVIEW_TTL_HOURS: '48' });
    owner = await signUp(platform, 'owner');
    db = platform.app.get(PrismaService);
  });
  afterAll(async () => platform.close());

  async function teamApp() {
    const team = unique('team');
    await platform.http().post('/api/teams').set(owner.auth).send({ name: team }).expect(201);
    const name = await createApp(platform, owner, 'site', team);
    const member = await signUp(platform, 'member');
    const viewer = await signUp(platform, 'viewer');
    await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: member.email, role: 'member' }).expect(201);
    await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: viewer.email, role: 'viewer' }).expect(201);
    const app = await db.app.findUniqueOrThrow({ where: { name } });
    const preview = await db.environment.create({ data: { appId: app.id, name: 'feature-x', kind: 'preview', branch: 'feature/x' } });
    return { name, member, viewer, preview };
  }

  /** Messages published on the routes channel while `action` runs. */
  async function routeMessages(action: () => Promise<unknown>): Promise<string[]> {
    const redis = platform.app.get(RedisService);
    const subscriber = redis.subscriber();
    const seen: string[] = [];
    subscriber.on('message', (_c: string, message: string) => seen.push(message));
    await subscriber.subscribe(redis.key('routes'));
    await action();
    await new Promise((resolve) => setTimeout(resolve, 100));
    subscriber.disconnect();
    return seen;
  }

  it('adds, lists and removes a custom domain; members may, viewers may only look', async () => {
    const { name, member, viewer, preview } = await teamApp();
    const base = `/api/apps/${name}/environments/feature-x/domains`;
    const hostname = `${unique('www')}.example.com`;
    const published = await routeMessages(async () => {
      const res = await platform.http().post(base).set(member.auth).send({ hostname: hostname.toUpperCase() }).expect(201);
      expect(res.body).toMatchObject({ hostname, url: `http://${hostname}:8080` });
    });
    expect(published).toEqual([preview.id]);
    expect((await platform.http().get(base).set(viewer.auth).expect(200)).body.map((d: { hostname: string }) => d.hostname)).toEqual([hostname]);
    await platform.http().post(base).set(viewer.auth).send({ hostname: `x.${hostname}` }).expect(403);
    await platform.http().delete(`${base}/${hostname}`).set(viewer.auth).expect(403);
    await platform.http().delete(`${base}/${hostname}`).set(member.auth).expect(204);
    await platform.http().delete(`${base}/${hostname}`).set(member.auth).expect(404);
    expect((await platform.http().get(base).set(owner.auth).expect(200)).body).toEqual([]);
  });

  it('keeps domains unique across Berth (409) and refuses bad or shadowing names (400)', async () => {
    const a = await teamApp();
    const b = await teamApp();
    const hostname = `${unique('shop')}.example.org`;
    await platform.http().post(`/api/apps/${a.name}/environments/production/domains`).set(owner.auth).send({ hostname }).expect(201);
    const taken = await platform.http().post(`/api/apps/${b.name}/environments/production/domains`).set(owner.auth).send({ hostname }).expect(409);
    expect(taken.body.code).toBe('domain_taken');
    for (const bad of ['not a name', '*.example.com', '127.0.0.1', `${b.name}.localhost`, `www.${b.name}.localhost`]) {
      const res = await platform.http().post(`/api/apps/${a.name}/environments/production/domains`).set(owner.auth).send({ hostname: bad }).expect(400);
      expect(res.body.fields.hostname).toBeTruthy();
    }
    await platform.http().post(`/api/apps/${a.name}/environments/production/domains`).set(owner.auth).send({ hostname: `www.${a.name}.localhost` }).expect(201);
    await platform.http().post(`/api/apps/${a.name}/environments/production/domains`).set(owner.auth).send({ hostname, extra: 1 }).expect(400);
  });

  it('deletes a preview (member role), emits ENVIRONMENT_DELETED and tells the routers; production stays', async () => {
    const { name, member, viewer, preview } = await teamApp();
    await platform.http().delete(`/api/apps/${name}/environments/feature-x`).set(viewer.auth).expect(403);
    const refused = await platform.http().delete(`/api/apps/${name}/environments/production`).set(owner.auth).expect(400);
    expect(refused.body.message).toContain(`DELETE /api/apps/${name}`);

    const events: unknown[] = [];
    platform.app.get(EventEmitter2).on(ENVIRONMENT_DELETED, (e) => events.push(e));
    const published = await routeMessages(() => platform.http().delete(`/api/apps/${name}/environments/feature-x`).set(member.auth).expect(204));
    expect(published).toEqual([preview.id]);
    expect(events).toEqual([expect.objectContaining({ environmentId: preview.id, environmentName: 'feature-x', appName: name })]);
    await platform.http().delete(`/api/apps/${name}/environments/feature-x`).set(member.auth).expect(404);
    expect((await platform.http().get(`/api/apps/${name}/environments`).set(owner.auth).expect(200)).body.map((e: { name: string }) => e.name)).toEqual(['production']);
  });

  it('gives previews a time to live, clears it, and refuses one for production', async () => {
    const { name, member, viewer } = await teamApp();
    const path = `/api/apps/${name}/environments/feature-x`;
    const set = await platform.http().patch(path).set(member.auth).send({ ttlHours: 72 }).expect(200);
    const hours = (new Date(set.body.expiresAt).getTime() - Date.now()) / 3600_000;
    expect(hours).toBeGreaterThan(71.9);
    expect(hours).toBeLessThanOrEqual(72);
    expect((await platform.http().patch(path).set(member.auth).send({ ttlHours: null }).expect(200)).body.expiresAt).toBeNull();
    await platform.http().patch(path).set(viewer.auth).send({ ttlHours: 1 }).expect(403);
    for (const bad of [0, -1, 1.5, '2', 100000]) {
      const res = await platform.http().patch(path).set(member.auth).send({ ttlHours: bad }).expect(400);
      expect(res.body.fields.ttlHours).toMatch(/whole number of hours/);
    }
    await platform.http().patch(path).set(member.auth).send({}).expect(400);
    expect((await platform.http().patch(`/api/apps/${name}/environments/production`).set(owner.auth).send({ ttlHours: 1 }).expect(400)).body.code).toBe('production_has_no_ttl');
  });

  it('removes expired previews only, and offers the default time to live for new ones', async () => {
    const { name, preview } = await teamApp();
    const environments = platform.app.get(EnvironmentsService);
    const app = await db.app.findUniqueOrThrow({ where: { name } });
    const later = await db.environment.create({ data: { appId: app.id, name: 'later', kind: 'preview', branch: 'later', expiresAt: new Date(Date.now() + 3600_000) } });
    await db.environment.update({ where: { id: preview.id }, data: { expiresAt: new Date(Date.now() - 1) } });
    await db.environment.updateMany({ where: { appId: app.id, kind: 'production' }, data: { expiresAt: new Date(Date.now() - 1) } });
    expect(await environments.removeExpiredPreviews()).toBeGreaterThanOrEqual(1);
    const left = await db.environment.findMany({ where: { appId: app.id }, orderBy: { name: 'asc' } });
    expect(left.map((e) => e.name)).toEqual(['later', 'production']);
    expect(later.id).toBe(left[0].id);
    const now = new Date('2030-01-01T00:00:00Z');
    expect(environments.defaultPreviewExpiresAt(now)).toEqual(new Date('2030-01-03T00:00:00Z'));
  });

  it('shows why an environment is not running in the API', async () => {
    const { name } = await teamApp();
    const res = await platform.http().get(`/api/apps/${name}/environments/feature-x`).set(owner.auth).expect(200);
    expect(res.body.status).toEqual({ state: 'not_deployed', message: 'Nothing has been deployed to this environment yet.', hint: expect.stringContaining('git push') });
  });
});
