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

  it('serves OpenAPI', async () => {
    const res = await platform.http().get('/api/docs/openapi.json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/auth/signup', '/api/apps', '/api/apps/{app}/environments/{env}/config']));
  });
});
