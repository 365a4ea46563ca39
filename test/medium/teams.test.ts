import { PrismaService } from '@berth/db';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, unique } from '../support/users';

describe('teams and roles', () => {
  let platform: RunningPlatform;
  beforeAll(async () => (platform = await startPlatform()));
  afterAll(async () => platform.close());

  async function teamWith() {
    const owner = await signUp(platform, 'owner');
    const team = unique('team');
    await platform.http().post('/api/teams').set(owner.auth).send({ name: team }).expect(201);
    return { owner, team };
  }

  it('lists the teams a user belongs to with their role', async () => {
    const { owner, team } = await teamWith();
    const res = await platform.http().get('/api/teams').set(owner.auth).expect(200);
    expect(res.body.map((t: { name: string; role: string }) => [t.name, t.role])).toEqual(
      expect.arrayContaining([[team, 'owner'], [owner.team, 'owner']]),
    );
  });

  it('adds, re-roles and removes members', async () => {
    const { owner, team } = await teamWith();
    const grace = await signUp(platform, 'grace');
    await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: grace.email, role: 'viewer' }).expect(201);
    let members = (await platform.http().get(`/api/teams/${team}/members`).set(grace.auth).expect(200)).body;
    expect(members.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([[owner.email, 'owner'], [grace.email, 'viewer']]);

    await platform.http().patch(`/api/teams/${team}/members/${grace.email}`).set(owner.auth).send({ role: 'admin' }).expect(200);
    members = (await platform.http().get(`/api/teams/${team}`).set(owner.auth).expect(200)).body.members;
    expect(members[1].role).toBe('admin');

    await platform.http().delete(`/api/teams/${team}/members/${grace.email}`).set(owner.auth).expect(204);
    await platform.http().get(`/api/teams/${team}`).set(grace.auth).expect(404);
  });

  it('refuses member changes from roles below admin (403) and from outsiders (404)', async () => {
    const { owner, team } = await teamWith();
    const member = await signUp(platform, 'member');
    const outsider = await signUp(platform, 'outsider');
    await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: member.email, role: 'member' }).expect(201);
    const res = await platform.http().post(`/api/teams/${team}/members`).set(member.auth).send({ email: outsider.email, role: 'viewer' }).expect(403);
    expect(res.body.code).toBe('role_too_low');
    await platform.http().post(`/api/teams/${team}/members`).set(outsider.auth).send({ email: outsider.email, role: 'owner' }).expect(404);
  });

  it('keeps at least one owner and lets only owners touch owners', async () => {
    const { owner, team } = await teamWith();
    const admin = await signUp(platform, 'admin');
    await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: admin.email, role: 'admin' }).expect(201);
    const last = await platform.http().patch(`/api/teams/${team}/members/${owner.email}`).set(owner.auth).send({ role: 'member' }).expect(409);
    expect(last.body.code).toBe('last_owner');
    await platform.http().delete(`/api/teams/${team}/members/${owner.email}`).set(admin.auth).expect(403);
    await platform.http().post(`/api/teams/${team}/members`).set(admin.auth).send({ email: admin.email, role: 'owner' }).expect(403);
  });

  it('keeps an owner when two owners demote each other at the same moment, and never answers 500', async () => {
    for (let round = 0; round < 5; round++) {
      const { owner, team } = await teamWith();
      const second = await signUp(platform, 'second');
      await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: second.email, role: 'owner' }).expect(201);
      const [a, b] = await Promise.all([
        platform.http().patch(`/api/teams/${team}/members/${second.email}`).set(owner.auth).send({ role: 'member' }),
        platform.http().patch(`/api/teams/${team}/members/${owner.email}`).set(second.auth).send({ role: 'member' }),
      ]);
      const statuses = [a.status, b.status].sort();
      // One wins; the other finds it is no longer an owner (403) or was told to try again (409).
      expect(statuses[0]).toBe(200);
      expect([403, 409]).toContain(statuses[1]);
      const loser = a.status === 200 ? b : a;
      expect(loser.body.code).toMatch(/^(role_too_low|conflict|last_owner)$/);
      const members = (await platform.http().get(`/api/teams/${team}/members`).set(owner.auth).expect(200)).body;
      expect(members.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
    }
  });

  it('keeps the last owner when two owners remove each other at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const { owner, team } = await teamWith();
      const second = await signUp(platform, 'second');
      await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: second.email, role: 'owner' }).expect(201);
      const [a, b] = await Promise.all([
        platform.http().delete(`/api/teams/${team}/members/${owner.email}`).set(owner.auth),
        platform.http().delete(`/api/teams/${team}/members/${second.email}`).set(second.auth),
      ]);
      expect([a.status, b.status].sort()).toEqual([204, 409]);
      const remaining = await platform.app.get(PrismaService).membership.findMany({ where: { team: { name: team } } });
      expect(remaining.map((m) => m.role)).toEqual(['owner']);
    }
  });

  it('answers clearly for unknown users, duplicates and bad roles', async () => {
    const { owner, team } = await teamWith();
    const unknown = await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: 'ghost@example.com', role: 'member' }).expect(404);
    expect(unknown.body.message).toMatch(/sign up first/);
    const dup = await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: owner.email, role: 'member' }).expect(409);
    expect(dup.body.code).toBe('already_member');
    const bad = await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: owner.email, role: 'god' }).expect(400);
    expect(bad.body.fields).toHaveProperty('role');
    await platform.http().post('/api/teams').set(owner.auth).send({ name: team }).expect(409);
    await platform.http().post('/api/teams').set(owner.auth).send({ name: 'Bad Name' }).expect(400);
  });

  it('enforces roles on apps: viewers read, members deploy config, admins delete', async () => {
    const { owner, team } = await teamWith();
    const viewer = await signUp(platform, 'viewer');
    const member = await signUp(platform, 'member');
    await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: viewer.email, role: 'viewer' }).expect(201);
    await platform.http().post(`/api/teams/${team}/members`).set(owner.auth).send({ email: member.email, role: 'member' }).expect(201);
    const app = await createApp(platform, owner, 'shared', team);

    await platform.http().get(`/api/apps/${app}`).set(viewer.auth).expect(200);
    await platform.http().get(`/api/apps/${app}/environments/production/config`).set(viewer.auth).expect(403);
    await platform.http().patch(`/api/apps/${app}/environments/production/config`).set(viewer.auth).send({ A: '1' }).expect(403);
    await platform.http().post('/api/apps').set(viewer.auth).send({ name: unique('v'), team }).expect(403);

    await platform.http().patch(`/api/apps/${app}/environments/production/config`).set(member.auth).send({ A: '1' }).expect(200);
    await platform.http().delete(`/api/apps/${app}`).set(member.auth).expect(403);
    await platform.http().delete(`/api/apps/${app}`).set(owner.auth).expect(204);
  });
});
