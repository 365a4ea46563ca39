import { PrismaService } from '@berth/db';
import { LogRetention } from '@berth/logs';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';
import { deploy, eventually, FAST, getFrom, isolatedCluster, removeContainersOf, startAgent, TestAgent } from '../support/runtime';
import { ensureLoggingImage, LOGGING_WEB, SseReader } from '../support/logs';

jest.setTimeout(240_000);

interface JsonLine {
  id: string;
  time: string;
  source: string;
  origin: string;
  process: string | null;
  instance: string | null;
  release: number | null;
  text: string;
}

/**
 * An app that logs on start and per request, crashes on request and is restarted, with one
 * agent on the local Podman and the api in this process: its log history holds all of that.
 */
describe('runtime logs', () => {
  let platform: RunningPlatform;
  let agent: TestAgent;
  let user: TestUser;
  let db: PrismaService;
  let cluster: Awaited<ReturnType<typeof isolatedCluster>>;
  let app: string;
  let image: string;
  let follow: SseReader | undefined;
  const logsPath = () => `/api/apps/${app}/environments/production/logs`;
  const text = async (query = '') => (await platform.http().get(`${logsPath()}?tail=10000${query}`).set(user.auth).expect(200)).text;
  const json = async (query = ''): Promise<JsonLine[]> =>
    (await platform.http().get(`${logsPath()}?tail=10000${query}`).set(user.auth).set('accept', 'application/json').expect(200)).body;
  /** Where the environment's healthy web instance answers (as the router would reach it). */
  const endpoint = () =>
    eventually('a healthy web instance', async () => {
      const row = await db.instance.findFirst({ where: { environment: { app: { name: app } }, healthy: true, actualState: 'running' }, include: { host: true } });
      return row?.hostPort ? { address: row.host!.address, port: row.hostPort } : null;
    }, 60_000);

  beforeAll(async () => {
    image = ensureLoggingImage();
    cluster = await isolatedCluster();
    platform = await startPlatform(['api', 'scheduler'], { ...FAST, ...cluster.env, LOGS_MAX_LINES_PER_ENV: '50', LOGS_RATE_LINES_PER_SECOND: '500' });
    db = platform.app.get(PrismaService);
    agent = await startAgent({ memoryMb: 1024, cpu: 2, env: cluster.env });
    user = await signUp(platform);
    app = await createApp(platform, user, 'logs');
  });
  afterAll(async () => {
    follow?.close();
    await agent?.stop().catch(() => undefined);
    if (agent) removeContainersOf([agent.name]);
    await platform?.close();
    await cluster?.drop();
  });

  it('keeps the start, request and last lines of a crashed instance, why it died, and its restart', async () => {
    const { failure } = await deploy(platform, app, { tag: image, processTypes: { web: LOGGING_WEB } });
    expect(failure).toBeNull();
    let { address, port } = await endpoint();
    await eventually('the start line', async () => (await text()).includes('app[web.1]: starting on port 5000'));

    follow = new SseReader(`${platform.url}${logsPath()}?follow=true&tail=1`, { Authorization: user.auth.Authorization });
    expect((await getFrom(address, port, '/cgi-bin/hello?n=1')).text).toBe('hello\n');
    await getFrom(address, port, '/cgi-bin/crash');

    const history = await eventually('the crash and the restarted instance in the history', async () => {
      const lines = (await text()).split('\n');
      const crashed = lines.findIndex((line) => line.includes('berth: web.1 crashed: exited with code 1'));
      const restarted = lines.findIndex((line, i) => i > crashed && line.includes('app[web.1]: starting on port 5000'));
      return crashed >= 0 && restarted > crashed && lines;
    }, 60_000);
    const at = (needle: string) => history.findIndex((line) => line.includes(needle));
    expect(at('berth: release v1 created: Deploy')).toBeGreaterThanOrEqual(0);
    expect(at('berth: web.1 started (v1)')).toBeGreaterThanOrEqual(0);
    expect(at('berth: release v1 deployed: it is current')).toBeGreaterThan(at('berth: release v1 created'));
    expect(at('app[web.1]: starting on port 5000')).toBeGreaterThan(at('berth: web.1 started (v1)'));
    expect(at('app[web.1]: handling GET /cgi-bin/hello?n=1')).toBeGreaterThan(at('app[web.1]: starting on port 5000'));
    // The last line before it died is there, before the reason.
    expect(at('app[web.1]: about to crash')).toBeGreaterThan(at('handling GET /cgi-bin/hello'));
    expect(at('berth: web.1 crashed: exited with code 1')).toBeGreaterThan(at('app[web.1]: about to crash'));
    // Heroku's format: time, origin, text.
    for (const line of history.filter(Boolean)) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (app\[[a-z]+\.\d+\]|berth|router): /);

    // The live tail saw lines written after it connected.
    const live = await follow.waitFor((data) => data.includes('about to crash'));
    expect(live.id).toMatch(/^\d+$/);
    await follow.waitFor((data) => data.includes('berth: web.1 crashed: exited with code 1'));
  });

  it('filters by source, process and instance, and searches text', async () => {
    const berth = await json('&source=berth');
    expect(berth.length).toBeGreaterThan(0);
    expect(berth.every((line) => line.source === 'berth' && line.origin === 'berth')).toBe(true);
    expect(berth.map((line) => line.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^web\.1 crashed: exited with code 1/)]));

    const web = await json('&process=web&source=app');
    expect(web.length).toBeGreaterThan(0);
    expect(web.every((line) => line.process === 'web' && line.instance === 'web.1' && line.origin === 'app[web.1]' && line.release === 1)).toBe(true);

    const found = await json('&q=ABOUT%20TO');
    expect(found.map((line) => line.text)).toEqual(['about to crash']);
    expect(await text('&q=no%20such%20words')).toBe('');
    expect((await json('&tail=2')).length).toBe(2);
  });

  it('answers 404 to another team', async () => {
    const stranger = await signUp(platform, 'stranger');
    const res = await platform.http().get(logsPath()).set(stranger.auth).expect(404);
    expect(res.body.code).toBe('app_not_found');
    await platform.http().get(`${logsPath()}?follow=true`).set(stranger.auth).expect(404);
  });

  it('cuts a flood at the rate limit and says once how many lines were dropped', async () => {
    const { address, port } = await endpoint();
    await getFrom(address, port, '/cgi-bin/flood');
    const dropLine = await eventually('the drop line', async () => (await json('&source=berth&q=logged%20too%20fast')).find(Boolean), 60_000);
    const dropped = Number(/(\d+) lines dropped/.exec(dropLine.text)?.[1]);
    const kept = (await json('&source=app&q=flood')).filter((line) => /^flood \d+$/.test(line.text));
    expect(dropped).toBeGreaterThan(0);
    expect(kept.length + dropped).toBe(10_000);
    expect(kept.length).toBeLessThan(10_000);
    // One Berth line for the whole flood.
    expect((await json('&source=berth&q=logged%20too%20fast')).length).toBe(1);
  });

  it('trims history to LOGS_MAX_LINES_PER_ENV', async () => {
    const before = await json();
    expect(before.length).toBeGreaterThan(50);
    const newest = before[before.length - 1];
    await platform.app.get(LogRetention).trim();
    const after = await json();
    expect(after.length).toBeLessThanOrEqual(50);
    expect(after.map((line) => line.id)).toContain(newest.id);
  });
});
