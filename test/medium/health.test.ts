import { startPlatform, RunningPlatform } from '../support/platform';

describe('health and docs', () => {
  let platform: RunningPlatform;
  beforeAll(async () => (platform = await startPlatform()));
  afterAll(async () => platform.close());

  it('reports the database and Redis', async () => {
    const res = await platform.http().get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('reports Redis down with 503', async () => {
    const broken = await startPlatform(['api'], { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await broken.http().get('/healthz').expect(503);
      expect(res.body.redis.status).toBe('down');
      expect(res.body.database.status).toBe('up');
    } finally {
      await broken.close();
    }
  });

  it.each(['/api/docs-json', '/api/docs/openapi.json'])('serves OpenAPI as JSON at %s', async (path) => {
    const res = await platform.http().get(path).expect(200).expect('content-type', /json/);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/auth/signup', '/api/apps', '/api/apps/{app}/environments/{env}/config']));
  });

  it('serves OpenAPI as YAML at /api/docs-yaml', async () => {
    const res = await platform.http().get('/api/docs-yaml').expect(200);
    expect(res.text).toContain('/api/apps/{app}/environments/{env}/config:');
  });
});
