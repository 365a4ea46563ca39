import { PrismaService } from '@berth/db';
import { ReleasesService } from '@berth/releases';
import { insertImage } from '../support/runtime';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser, unique } from '../support/users';

describe('apps, environments and config', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  beforeAll(async () => {
    platform = await startPlatform();
    user = await signUp(platform);
  });
  afterAll(async () => platform.close());

  it('creates an app with its git URL and a production environment', async () => {
    const name = unique('shop');
    const res = await platform.http().post('/api/apps').set(user.auth).send({ name }).expect(201);
    expect(res.body).toMatchObject({
      name,
      team: { name: user.team },
      productionBranch: 'main',
      gitUrl: `${platform.url}/git/${name}.git`,
      url: `http://${name}.localhost:8080`,
    });
    const envs = await platform.http().get(`/api/apps/${name}/environments`).set(user.auth).expect(200);
    expect(envs.body).toEqual([expect.objectContaining({ name: 'production', kind: 'production', branch: 'main', url: `http://${name}.localhost:8080` })]);
    const env = await platform.http().get(`/api/apps/${name}/environments/production`).set(user.auth).expect(200);
    expect(env.body.url).toBe(`http://${name}.localhost:8080`);
    const list = await platform.http().get('/api/apps').set(user.auth).expect(200);
    expect(list.body.map((a: { name: string }) => a.name)).toContain(name);
    const one = await platform.http().get(`/api/apps/${name}`).set(user.auth).expect(200);
    expect(one.body.environments).toHaveLength(1);
  });

  it('honours a custom production branch', async () => {
    const name = unique('trunk');
    await platform.http().post('/api/apps').set(user.auth).send({ name, productionBranch: 'trunk' }).expect(201);
    const env = await platform.http().get(`/api/apps/${name}/environments/production`).set(user.auth).expect(200);
    expect(env.body.branch).toBe('trunk');
  });

  it('deletes an app with everything under it', async () => {
    const name = await createApp(platform, user);
    await platform.http().patch(`/api/apps/${name}/environments/production/config`).set(user.auth).send({ A: 'b' }).expect(200);
    await platform.http().delete(`/api/apps/${name}`).set(user.auth).expect(204);
    await platform.http().get(`/api/apps/${name}`).set(user.auth).expect(404);
    const db = platform.app.get(PrismaService);
    expect(await db.environment.count({ where: { app: { name } } })).toBe(0);
  });

  describe('the apps list in pages', () => {
    it('pages through the apps by name with each one\'s production status, and keeps the plain array without paging', async () => {
      const owner = await signUp(platform, 'pager');
      const names = [await createApp(platform, owner, 'pa'), await createApp(platform, owner, 'pb'), await createApp(platform, owner, 'pc'), await createApp(platform, owner, 'pd'), await createApp(platform, owner, 'pe')].sort();
      await createApp(platform, user, 'notmine');
      // One app deployed (its release is starting, no scheduler runs here), one with a preview.
      const db = platform.app.get(PrismaService);
      const { environment, image } = await insertImage(db, names[1], { tag: 'localhost/none:1', processTypes: { web: 'httpd -f -p $PORT' } });
      await platform.app.get(ReleasesService).deployImage({ environmentId: environment.id, imageId: image.id, createdById: null });
      const app = await db.app.findUniqueOrThrow({ where: { name: names[2] } });
      await db.environment.create({ data: { appId: app.id, name: 'feature-x', kind: 'preview', branch: 'feature-x' } });

      const seen: { name: string; previews: number; status: { state: string; message: string } }[] = [];
      const cursors: (string | null)[] = [];
      let cursor: string | null | undefined;
      do {
        const res = await platform.http().get(`/api/apps?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set(owner.auth).expect(200);
        expect(res.body.apps.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.apps);
        cursor = res.body.nextCursor;
        cursors.push(cursor ?? null);
      } while (cursor);
      expect(seen.map((a) => a.name)).toEqual(names);
      expect(cursors).toEqual([names[1], names[3], null]);
      expect(seen.map((a) => a.status.state)).toEqual(['not_deployed', 'starting', 'not_deployed', 'not_deployed', 'not_deployed']);
      expect(seen.map((a) => a.previews)).toEqual([0, 0, 1, 0, 0]);
      // The same status as the environment's own endpoint gives.
      for (const a of seen) {
        const env = await platform.http().get(`/api/apps/${a.name}/environments/production`).set(owner.auth).expect(200);
        expect(a.status).toEqual(env.body.status);
      }
      expect(seen[0]).toMatchObject({ team: { name: owner.team }, url: `http://${names[0]}.localhost:8080` });

      const plain = await platform.http().get('/api/apps').set(owner.auth).expect(200);
      expect(plain.body.map((a: { name: string }) => a.name)).toEqual(names);
      expect(plain.body[0]).not.toHaveProperty('status');
      const all = await platform.http().get('/api/apps?limit=200').set(owner.auth).expect(200);
      expect(all.body).toMatchObject({ nextCursor: null });
      expect(all.body.apps).toHaveLength(5);
    });

    it('refuses a limit outside 1 to 200', async () => {
      for (const limit of ['0', '201', 'ten', '1.5']) {
        const res = await platform.http().get(`/api/apps?limit=${limit}`).set(user.auth).expect(400);
        expect(res.body.code).toBe('invalid_input');
        expect(res.body.fields?.limit ?? JSON.stringify(res.body)).toMatch(/1 to 200/);
      }
    });
  });

  describe('app names', () => {
    it.each([
      ['ab', /3 to 30/],
      ['Shop', /lowercase/],
      ['9lives', /start with a lowercase letter/],
      ['my_app', /lowercase letters, digits and hyphens/],
      ['my--app', /two hyphens/],
      ['api', /reserved/],
      ['admin', /reserved/],
      ['x'.repeat(31), /3 to 30/],
    ])('refuses %s and creates nothing', async (name, why) => {
      const res = await platform.http().post('/api/apps').set(user.auth).send({ name }).expect(400);
      expect(res.body.fields.name).toMatch(why);
      expect(await platform.app.get(PrismaService).app.count({ where: { name } })).toBe(0);
    });

    it('refuses a taken name with 409', async () => {
      const name = await createApp(platform, user);
      const other = await signUp(platform);
      const res = await platform.http().post('/api/apps').set(other.auth).send({ name }).expect(409);
      expect(res.body.code).toBe('app_name_taken');
    });

    it('refuses unknown fields and a bad branch', async () => {
      const res = await platform.http().post('/api/apps').set(user.auth).send({ name: unique('x'), region: 'eu', productionBranch: 'a..b' }).expect(400);
      expect(Object.keys(res.body.fields).sort()).toEqual(['productionBranch', 'region']);
    });

    it('refuses a team the user is not in', async () => {
      const other = await signUp(platform);
      await platform.http().post('/api/apps').set(user.auth).send({ name: unique('x'), team: other.team }).expect(404);
    });
  });

  describe('config', () => {
    it('sets and unsets in one change and returns the result', async () => {
      const name = await createApp(platform, user);
      const path = `/api/apps/${name}/environments/production/config`;
      expect((await platform.http().get(path).set(user.auth).expect(200)).body).toEqual({});
      await platform.http().patch(path).set(user.auth).send({ A: '1', B: 'two', OLD: 'x' }).expect(200);
      const res = await platform.http().patch(path).set(user.auth).send({ B: 'three', OLD: null, EMPTY: '' }).expect(200);
      expect(res.body).toEqual({ A: '1', B: 'three', EMPTY: '' });
      expect((await platform.http().get(path).set(user.auth).expect(200)).body).toEqual({ A: '1', B: 'three', EMPTY: '' });
    });

    it('encrypts values at rest', async () => {
      const name = await createApp(platform, user);
      await platform.http().patch(`/api/apps/${name}/environments/production/config`).set(user.auth).send({ SECRET: 'hunter2-plain' }).expect(200);
      const rows = await platform.app.get(PrismaService).configVar.findMany({ where: { environment: { app: { name } } } });
      expect(rows).toHaveLength(1);
      expect(rows[0].valueEncrypted).not.toContain('hunter2');
    });

    it.each([
      [{ '1BAD': 'x' }, '1BAD'],
      [{ 'HAS-DASH': 'x' }, 'HAS-DASH'],
      [{ NUM: 5 }, 'NUM'],
      [{ OBJ: { a: 1 } }, 'OBJ'],
    ])('refuses %j naming the key, and changes nothing', async (body, field) => {
      const name = await createApp(platform, user);
      const path = `/api/apps/${name}/environments/production/config`;
      const res = await platform.http().patch(path).set(user.auth).send({ GOOD: 'kept', ...body }).expect(400);
      expect(res.body.fields).toHaveProperty([field]);
      expect((await platform.http().get(path).set(user.auth).expect(200)).body).toEqual({});
    });

    it('refuses a non-object body', async () => {
      const name = await createApp(platform, user);
      const res = await platform.http().patch(`/api/apps/${name}/environments/production/config`).set(user.auth).send(['A']).expect(400);
      expect(res.body.fields).toHaveProperty('body');
    });

    it('refuses values over the size limit', async () => {
      const name = await createApp(platform, user);
      const res = await platform.http().patch(`/api/apps/${name}/environments/production/config`).set(user.auth).send({ BIG: 'x'.repeat(40 * 1024) }).expect(400);
      expect(res.body.fields.BIG).toMatch(/larger than 32768 bytes/);
    });

    it('refuses more vars than the limit allows, atomically', async () => {
      const small = await startPlatform(['api'], { CONFIG_MAX_VARS: '3' });
      try {
        const owner = await signUp(small);
        const name = await createApp(small, owner);
        const path = `/api/apps/${name}/environments/production/config`;
        await small.http().patch(path).set(owner.auth).send({ A: '1', B: '2' }).expect(200);
        const res = await small.http().patch(path).set(owner.auth).send({ C: '3', D: '4' }).expect(413);
        expect(res.body.code).toBe('too_many_config_vars');
        expect((await small.http().get(path).set(owner.auth).expect(200)).body).toEqual({ A: '1', B: '2' });
      } finally {
        await small.close();
      }
    });

    it('sets and replaces up to the limit (499 and 500 vars) at once, with one release each time', async () => {
      const name = await createApp(platform, user, 'many');
      const db = platform.app.get(PrismaService);
      const { environment, image } = await insertImage(db, name, { tag: 'localhost/none:1', processTypes: { web: 'httpd -f -p $PORT' } });
      await platform.app.get(ReleasesService).deployImage({ environmentId: environment.id, imageId: image.id, createdById: null });
      const path = `/api/apps/${name}/environments/production/config`;
      const many = (count: number, value: (i: number) => string) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`VAR_${i}`, value(i)]));

      const first = many(499, (i) => `value-${i}`);
      expect((await platform.http().patch(path).set(user.auth).send(first).expect(200)).body).toEqual(first);
      // 500 changes at once (the limit): 497 values changed, one unset and two new, leaving 500 vars.
      const { VAR_0: _dropped, VAR_1: _kept, ...changed } = many(499, (i) => `changed-${i}`);
      const second = { ...changed, VAR_0: null, NEW_A: 'a', NEW_B: 'b' };
      const { VAR_0: _unset, ...rest } = second;
      const expected = { ...rest, VAR_1: 'value-1' };
      expect((await platform.http().patch(path).set(user.auth).send(second).expect(200)).body).toEqual(expected);
      expect(Object.keys((await platform.http().get(path).set(user.auth).expect(200)).body)).toHaveLength(500);

      const rows = await db.configVar.findMany({ where: { environmentId: environment.id } });
      expect(rows).toHaveLength(500);
      expect(rows.some((row) => row.valueEncrypted.includes('changed-') || row.valueEncrypted.includes('value-'))).toBe(false);
      const releases = (await platform.http().get(`/api/apps/${name}/environments/production/releases`).set(user.auth).expect(200)).body;
      expect(releases.map((r: { version: number }) => r.version)).toEqual([3, 2, 1]);
      expect(releases[0].description).toMatch(/^Set .*; unset VAR_0$/);
      const latest = await platform.app.get(ReleasesService).latest(environment.id);
      expect(platform.app.get(ReleasesService).openConfig(latest!)).toEqual(expected);
    });

    it('answers 404 for an unknown environment', async () => {
      const name = await createApp(platform, user);
      const res = await platform.http().get(`/api/apps/${name}/environments/staging/config`).set(user.auth).expect(404);
      expect(res.body.code).toBe('environment_not_found');
    });
  });
});
