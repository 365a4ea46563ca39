import { createServer, Server, Socket, connect } from 'node:net';
import { freePort, RunningPlatform, startPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';

/**
 * PostgreSQL going away and coming back (a restart, a failover): the API answers 503 in Berth's
 * words meanwhile, never a 500, and resumes by itself with nothing lost. The database is
 * reached through a TCP relay of the test's own, so the outage is this test's alone.
 */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Stops accepting and cuts every open connection, as a stopped server does. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

describe('PostgreSQL outage', () => {
  let relay: Relay;
  let platform: RunningPlatform;
  let user: TestUser;

  beforeAll(async () => {
    const url = new URL(process.env.DATABASE_URL!);
    relay = new Relay(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
    await relay.up();
    url.hostname = '127.0.0.1';
    url.port = String(relay.port);
    platform = await startPlatform(['api'], { DATABASE_URL: url.toString() });
    user = await signUp(platform);
  });
  afterAll(async () => {
    await platform?.close();
    await relay?.down();
  });

  it('answers 503 with what is happening while the database is gone, and resumes with nothing lost', async () => {
    const app = await createApp(platform, user);
    await relay.down();
    const during = await platform.http().get('/api/apps').set(user.auth);
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ code: 'database_unavailable', message: expect.stringMatching(/database.*not answering.*Try again/i) });
    expect(during.headers['retry-after']).toBeDefined();
    expect(JSON.stringify(during.body)).not.toMatch(/ECONNREFUSED|Prisma|adapter/i);
    expect((await platform.http().get('/healthz')).status).toBe(503);

    await relay.up();
    let after = await platform.http().get('/api/apps').set(user.auth);
    for (let i = 0; i < 50 && after.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await platform.http().get('/api/apps').set(user.auth);
    }
    expect(after.status).toBe(200);
    expect(after.body.map((a: { name: string }) => a.name)).toContain(app);
  });
});
