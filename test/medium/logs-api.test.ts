import { PrismaService } from '@berth/db';
import { LogRetention, LogStore, LogWriter, NewLogLine } from '@berth/logs';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';
import { SseReader } from '../support/logs';

/** The logs API over lines written straight to the store (no agent involved). */
describe('logs API', () => {
  let platform: RunningPlatform;
  let owner: TestUser;
  let viewer: TestUser;
  let app: string;
  let environmentId: string;
  const base = () => `/api/apps/${app}/environments/production/logs`;
  // An hour ago, on a whole minute (plus 123 ms): recent enough for the retention, whatever the date.
  const hourAgo = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000 + 123;
  const at = (second: number) => new Date(hourAgo + second * 1000);

  beforeAll(async () => {
    platform = await startPlatform();
    owner = await signUp(platform);
    viewer = await signUp(platform, 'viewer');
    app = await createApp(platform, owner, 'logs');
    await platform.http().post(`/api/teams/${owner.team}/members`).set(owner.auth).send({ email: viewer.email, role: 'viewer' }).expect(201);
    const db = platform.app.get(PrismaService);
    environmentId = (await db.environment.findFirstOrThrow({ where: { app: { name: app } } })).id;
    const line = (second: number, fields: Partial<NewLogLine>): NewLogLine => ({ environmentId, time: at(second), source: 'app', processType: 'web', instance: 'web.1', release: 1, stream: 'stdout', text: '', ...fields });
    await platform.app.get(LogStore).append([
      line(0, { source: 'berth', processType: null, instance: null, text: 'release v1 created: Deploy abc1234', stream: null }),
      line(1, { text: 'starting on port 5000' }),
      line(2, { processType: 'worker', instance: 'worker.1', text: 'working 100% of the_time' }),
      line(3, { instance: 'web.2', release: 2, text: 'GET /orders 200', stream: 'stderr' }),
      line(4, { source: 'berth', text: 'web.1 crashed: exited with code 1; restarting in 1 s', stream: null }),
      line(5, { source: 'router', processType: null, instance: null, text: 'at=info method=GET path=/ status=200', stream: null }),
    ]);
  });
  afterAll(async () => platform.close());

  it('returns the last lines as text in Heroku\'s format, oldest first', async () => {
    const res = await platform.http().get(`${base()}?tail=2`).set(viewer.auth).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe(
      `${at(4).toISOString()} berth: web.1 crashed: exited with code 1; restarting in 1 s\n${at(5).toISOString()} router: at=info method=GET path=/ status=200\n`,
    );
    expect(at(4).toISOString()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:04\.123Z$/);
    expect((await platform.http().get(base()).set(viewer.auth).expect(200)).text.split('\n').filter(Boolean)).toHaveLength(6);
  });

  it('returns JSON with Accept: application/json', async () => {
    const res = await platform.http().get(`${base()}?tail=1&process=web&source=app`).set(viewer.auth).set('accept', 'application/json').expect(200);
    expect(res.body).toEqual([
      { id: expect.stringMatching(/^\d+$/), time: at(3).toISOString(), source: 'app', origin: 'app[web.2]', process: 'web', instance: 'web.2', release: 2, stream: 'stderr', text: 'GET /orders 200' },
    ]);
  });

  it('filters by time, process, instance, source and release, and searches text literally', async () => {
    const texts = async (query: string) =>
      ((await platform.http().get(`${base()}?format=json&${query}`).set(viewer.auth).expect(200)).body as { text: string }[]).map((l) => l.text);
    expect(await texts(`since=${new Date(hourAgo - 123 + 2000).toISOString()}&until=${new Date(hourAgo + 3500).toISOString()}`)).toEqual(['working 100% of the_time', 'GET /orders 200']);
    expect(await texts('process=worker')).toEqual(['working 100% of the_time']);
    expect(await texts('instance=web.1&source=app')).toEqual(['starting on port 5000']);
    expect(await texts('source=router')).toEqual(['at=info method=GET path=/ status=200']);
    expect(await texts('release=v2')).toEqual(['GET /orders 200']);
    expect(await texts('q=CRASHED')).toEqual(['web.1 crashed: exited with code 1; restarting in 1 s']);
    // % and _ are plain characters, not patterns.
    expect(await texts('q=100%25')).toEqual(['working 100% of the_time']);
    expect(await texts('q=e_t')).toEqual(['working 100% of the_time']);
    expect(await texts('q=a%25b')).toEqual([]);
  });

  it('refuses bad parameters with 400 naming them', async () => {
    const res = await platform.http().get(`${base()}?tail=0&source=kernel`).set(viewer.auth).expect(400);
    expect(res.body).toMatchObject({ code: 'invalid_input', fields: { tail: expect.any(String), source: 'must be one of app, router, berth' } });
  });

  it('is 404 for another team, an unknown environment, and 401 without a token', async () => {
    const stranger = await signUp(platform, 'stranger');
    expect((await platform.http().get(base()).set(stranger.auth).expect(404)).body.code).toBe('app_not_found');
    expect((await platform.http().get(`/api/apps/${app}/environments/nope/logs`).set(owner.auth).expect(404)).body.code).toBe('environment_not_found');
    await platform.http().get(base()).expect(401);
  });

  it('follows new lines as server-sent events and resumes after Last-Event-ID', async () => {
    const url = `${platform.url}${base()}?follow=true&tail=1`;
    const first = new SseReader(url, viewer.auth);
    const last = await first.waitFor((data) => data.includes('router: at=info'));
    const writer = platform.app.get(LogWriter);
    writer.write({ environmentId, time: new Date(), source: 'app', processType: 'web', instance: 'web.1', release: 1, stream: 'stdout', text: 'a new line' });
    await writer.flush();
    const fresh = await first.waitFor((data) => data.endsWith('app[web.1]: a new line'));
    expect(BigInt(fresh.id!)).toBeGreaterThan(BigInt(last.id!));
    first.close();

    // Resuming after the router line sends the new line and nothing before it.
    const resumed = new SseReader(`${platform.url}${base()}?follow=true&format=json`, { ...viewer.auth, 'last-event-id': last.id! });
    const again = await resumed.waitFor((data) => data.includes('a new line'));
    expect(JSON.parse(again.data)).toMatchObject({ id: fresh.id, origin: 'app[web.1]', text: 'a new line' });
    expect(resumed.events.filter((e) => !e.event)).toHaveLength(1);
    resumed.close();
  });

  it('orders by id as a number, not as text (ids cross a power of ten here)', async () => {
    const other = await createApp(platform, owner, 'many');
    const db = platform.app.get(PrismaService);
    const envId = (await db.environment.findFirstOrThrow({ where: { app: { name: other } } })).id;
    const start = Date.now();
    await platform.app.get(LogStore).append(
      Array.from({ length: 10_000 }, (_, i) => ({ environmentId: envId, time: new Date(start + i), source: 'app' as const, processType: 'web', instance: 'web.1', text: `n=${i}` })),
    );
    const path = `/api/apps/${other}/environments/production/logs`;
    const tail = (await platform.http().get(`${path}?tail=3&format=json`).set(owner.auth).expect(200)).body as { id: string; text: string }[];
    expect(tail.map((l) => l.text)).toEqual(['n=9997', 'n=9998', 'n=9999']);
    const store = platform.app.get(LogStore);
    const after = await store.after(envId, {}, BigInt(tail[0].id) - 10n, 100);
    expect(after.map((l) => l.text)).toEqual(Array.from({ length: 12 }, (_, i) => `n=${9988 + i}`));
  });

  it('trims lines past the retention age', async () => {
    // Everything above was written an hour ago or now: the age trim (7 days) keeps it all.
    const before = (await platform.http().get(`${base()}?format=json&tail=10000`).set(viewer.auth).expect(200)).body.length;
    await platform.app.get(LogRetention).trim();
    const after = (await platform.http().get(`${base()}?format=json&tail=10000`).set(viewer.auth).expect(200)).body.length;
    expect(after).toBe(before);
    await platform.app.get(LogStore).trim(new Date(hourAgo - 123 + 3000), 100_000);
    const texts = ((await platform.http().get(`${base()}?format=json`).set(viewer.auth).expect(200)).body as { text: string }[]).map((l) => l.text);
    expect(texts).not.toContain('starting on port 5000');
    expect(texts).toContain('GET /orders 200');
  });
});
