import { startPlatform, type RunningPlatform } from '../support/platform';

// The api role serves the built dashboard at `/` without getting in the way of the API.
describe('serving the dashboard', () => {
  let platform: RunningPlatform;
  beforeAll(async () => {
    platform = await startPlatform(['api']);
  });
  afterAll(() => platform?.close());

  it('answers / and any page path with index.html, never cached, with a strict content security policy', async () => {
    for (const path of ['/', '/apps/some-app/builds', '/tokens']) {
      const response = await platform.http().get(path).set('accept', 'text/html').expect(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.text).toContain('<div id="root"></div>');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    }
  });

  it('serves hashed assets with long caching, and a real 404 for a missing file', async () => {
    const index = await platform.http().get('/').expect(200);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
    expect(script).toBeDefined();
    const asset = await platform.http().get(script!).expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    const missing = await platform.http().get('/assets/missing-abc123.js').expect(404);
    expect(missing.headers['content-type']).toMatch(/json/);
  });

  it('leaves /api, /git and /healthz to their own handlers', async () => {
    const unknownApi = await platform.http().get('/api/no-such-route').set('accept', 'text/html').expect(404);
    expect(unknownApi.body).toMatchObject({ statusCode: 404 });
    await platform.http().get('/api/apps').set('accept', 'text/html').expect(401);
    const health = await platform.http().get('/healthz').expect(200);
    expect(health.headers['content-type']).toMatch(/json/);
    const git = await platform.http().get('/git/x.git/info/refs?service=git-receive-pack').set('accept', 'text/html');
    expect(git.text).not.toContain('<div id="root">');
  });

  it('does not answer other methods with the page', async () => {
    const response = await platform.http().post('/apps').send({});
    expect(response.status).toBe(404);
    expect(response.text).not.toContain('<div id="root">');
  });
});
