import { createServer, IncomingMessage, Server } from 'node:http';
import { PrismaService } from '@berth/db';
import { LogStore, NewLogLine } from '@berth/logs';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';

jest.setTimeout(120_000);

/** A log receiver on loopback: records each POST; answers 500 while `failing`. */
class Receiver {
  readonly posts: { lines: { id: string; text: string; origin: string }[]; contentType?: string; authorization?: string }[] = [];
  failing = false;
  failed = 0;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const body = await read(req);
      if (this.failing) {
        this.failed++;
        res.writeHead(500).end('receiver is down for maintenance');
        return;
      }
      this.posts.push({ lines: JSON.parse(body), contentType: req.headers['content-type'], authorization: req.headers.authorization });
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/ingest`;
    return this;
  }

  texts(): string[] {
    return this.posts.flatMap((p) => p.lines.map((l) => l.text));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

async function until<T>(what: string, check: () => T | Promise<T>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Log drains against a real HTTP receiver on loopback (LOGS_DRAINS_ALLOW_LOOPBACK, as tests only may). */
describe('log drains', () => {
  let platform: RunningPlatform;
  let owner: TestUser;
  let app: string;
  let environmentId: string;
  const receivers: Receiver[] = [];
  const base = () => `/api/apps/${app}/environments/production/log-drains`;
  const line = (text: string): NewLogLine => ({ environmentId, time: new Date(), source: 'app', processType: 'web', instance: 'web.1', release: 1, stream: 'stdout', text });
  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    platform = await startPlatform(['api'], { LOGS_DRAINS_ALLOW_LOOPBACK: 'true', LOGS_MAX_DRAINS_PER_ENV: '3' });
    owner = await signUp(platform);
    app = await createApp(platform, owner, 'drains');
    environmentId = (await platform.app.get(PrismaService).environment.findFirstOrThrow({ where: { app: { name: app } } })).id;
  });
  // Each test starts with no drain, whatever the one before left.
  afterEach(async () => {
    await platform.app.get(PrismaService).logDrain.deleteMany({ where: { environmentId } });
  });
  afterAll(async () => {
    await platform.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('forwards new lines in batches of JSON arrays, in order, with the URL\'s credentials, and shows the password masked', async () => {
    await platform.app.get(LogStore).append([line('written before the drain existed')]);
    const r = await receiver();
    const url = r.url.replace('http://', 'http://berth:s3cret@');
    const added = await platform.http().post(base()).set(owner.auth).send({ url }).expect(201);
    expect(added.body).toMatchObject({ id: expect.any(String), url: url.replace('s3cret', '****'), lastError: null, failures: 0 });
    const listed = await platform.http().get(base()).set(owner.auth).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain('s3cret');

    const texts = Array.from({ length: 1200 }, (_, i) => `line ${i}`);
    await platform.app.get(LogStore).append(texts.map(line));
    await until('1200 lines at the receiver', () => r.texts().length >= 1200);
    expect(r.texts()).toEqual(texts);
    expect(r.posts.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...r.posts.map((p) => p.lines.length))).toBeLessThanOrEqual(500);
    expect(r.posts[0].contentType).toBe('application/json');
    expect(r.posts[0].authorization).toBe(`Basic ${Buffer.from('berth:s3cret').toString('base64')}`);
    expect(r.posts[0].lines[0]).toMatchObject({ origin: 'app[web.1]', text: 'line 0' });

    // The cursor is kept in PostgreSQL: a restarted forwarder carries on after the last line sent.
    // (It is written once the receiver has answered, so a moment after the lines arrive.)
    const last = r.posts[r.posts.length - 1].lines.at(-1)!;
    const cursor = () => platform.app.get(PrismaService).logDrain.findUniqueOrThrow({ where: { id: added.body.id } }).then((d) => d.cursor);
    await until('the cursor to reach the last line sent', async () => (await cursor()) === BigInt(last.id), 30_000);
    expect(await cursor()).toBe(BigInt(last.id));
  });

  it('retries a failing receiver, shows its last error, then catches up without losing a line', async () => {
    const r = await receiver();
    r.failing = true;
    const { body: drain } = await platform.http().post(base()).set(owner.auth).send({ url: r.url }).expect(201);
    await platform.app.get(LogStore).append(['first', 'second'].map(line));
    const failing = await until('the drain to show its last error', async () => {
      const list = (await platform.http().get(base()).set(owner.auth).expect(200)).body as { id: string; lastError: string | null; failures: number }[];
      return list.find((d) => d.id === drain.id && d.lastError);
    });
    expect(failing!.lastError).toBe('the receiver answered 500: receiver is down for maintenance');
    expect(failing!.failures).toBeGreaterThanOrEqual(3);
    expect(r.failed).toBeGreaterThanOrEqual(3);

    await platform.app.get(LogStore).append([line('third')]);
    r.failing = false;
    await until('the receiver to catch up', () => r.texts().length >= 3);
    expect(r.texts()).toEqual(['first', 'second', 'third']);
    const after = (await platform.http().get(base()).set(owner.auth).expect(200)).body.find((d: { id: string }) => d.id === drain.id);
    expect(after).toMatchObject({ lastError: null, failures: 0, lastDeliveredAt: expect.any(String) });
    await platform.http().delete(`${base()}/${drain.id}`).set(owner.auth).expect(204);
  });

  it('refuses private, link-local and metadata addresses, and URLs that are not https', async () => {
    for (const url of ['https://10.0.0.8/ingest', 'https://169.254.169.254/latest/meta-data', 'https://[fd00::1]/x', 'https://[::ffff:192.168.1.1]/x', 'https://192.168.1.20:8443/']) {
      const res = await platform.http().post(base()).set(owner.auth).send({ url }).expect(400);
      expect(res.body).toMatchObject({ code: 'invalid_input', fields: { url: expect.stringMatching(/private, loopback or reserved address/) } });
    }
    expect((await platform.http().post(base()).set(owner.auth).send({ url: 'ftp://logs.example.com/' }).expect(400)).body.fields.url).toBe('must use https (not ftp)');
    expect((await platform.http().post(base()).set(owner.auth).send({ url: 'http://93.184.215.14/' }).expect(400)).body.fields.url).toMatch(/plain http/);
    expect((await platform.http().post(base()).set(owner.auth).send({ url: 'https://x.example.com', extra: 1 }).expect(400)).body.fields.extra).toMatch(/not a known field/);
    expect((await platform.http().get(base()).set(owner.auth).expect(200)).body).toEqual([]);
  });

  it('caps the drains of an environment', async () => {
    const r = await receiver();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await platform.http().post(base()).set(owner.auth).send({ url: `${r.url}?n=${i}` }).expect(201)).body.id);
    const res = await platform.http().post(base()).set(owner.auth).send({ url: r.url }).expect(409);
    expect(res.body.code).toBe('too_many_drains');
    for (const id of ids) await platform.http().delete(`${base()}/${id}`).set(owner.auth).expect(204);
    await platform.http().delete(`${base()}/${ids[0]}`).set(owner.auth).expect(404);
  });

  it('is 404 for another team and 403 for a viewer', async () => {
    const r = await receiver();
    const { body: drain } = await platform.http().post(base()).set(owner.auth).send({ url: r.url }).expect(201);
    const stranger = await signUp(platform, 'stranger');
    expect((await platform.http().get(base()).set(stranger.auth).expect(404)).body.code).toBe('app_not_found');
    await platform.http().post(base()).set(stranger.auth).send({ url: r.url }).expect(404);
    await platform.http().delete(`${base()}/${drain.id}`).set(stranger.auth).expect(404);
    // A drain id of another team's environment is not found through one's own app either.
    const own = await createApp(platform, stranger, 'own');
    await platform.http().delete(`/api/apps/${own}/environments/production/log-drains/${drain.id}`).set(stranger.auth).expect(404);

    const viewer = await signUp(platform, 'viewer');
    await platform.http().post(`/api/teams/${owner.team}/members`).set(owner.auth).send({ email: viewer.email, role: 'viewer' }).expect(201);
    await platform.http().post(base()).set(viewer.auth).send({ url: r.url }).expect(403);
    expect((await platform.http().get(base()).set(owner.auth).expect(200)).body).toHaveLength(1);
  });
});
