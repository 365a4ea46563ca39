import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { BuildCaches } from '../../libs/builds/src/image-build/build-cache';
import { BuildSweeper } from '../../libs/builds/src/queue/build-sweeper';
import { builds, Pushes } from '../support/builds';
import { gitUrl } from '../support/git';
import { RunningPlatform, startPlatform } from '../support/platform';
import { signUp, TestUser } from '../support/users';

// A cold Next.js build downloads Next.js from the npm registry and compiles; the machine is shared.
jest.setTimeout(900_000);

/**
 * Build caches between builds of an environment: a Next.js app pushed twice, the second time
 * with a one-line source change, reuses the npm cache and .next/cache of the first build (the
 * log says so, and the cache directories hold what the first build wrote); deleting the app
 * removes them.
 */
describe('build caches', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => platform);
  const keys: string[] = [];

  beforeAll(async () => {
    // `next build` was killed at the default 2048 MB in 3 of 4 runs on the loaded test machine (none at 4096).
    platform = await startPlatform(['api', 'builder'], { GIT_PUSH_DEPLOY_WAIT_SECONDS: '0', BUILD_MEMORY_MB: '4096' });
    user = await signUp(platform);
  });
  afterAll(async () => {
    for (const key of keys) await platform?.app.get(BuildCaches).clear(key);
    await pushes.cleanup();
    await platform?.close();
  });

  it('restores the npm cache and .next/cache on a warm rebuild, and removes them with the app', async () => {
    const app = await pushes.app(user, 'nextcache');
    const copy = await pushes.fixture('next-app');
    const url = gitUrl(platform, app, user.token);
    const db = platform.app.get(PrismaService);
    const environment = await db.environment.findFirstOrThrow({ where: { app: { name: app }, name: 'production' } });
    const caches = platform.app.get(BuildCaches);
    const key = caches.keyFor(environment.id)!;
    keys.push(key);

    const cold = await copy.push(url, 'main');
    expect(cold.stderr).not.toContain('remote:  !');
    expect(cold.code).toBe(0);
    expect(cold.stderr).toContain('remote:        Build cache kept for this environment: the npm cache and .next/cache, node_modules/.cache');
    expect(cold.stderr).toContain('remote:        Build cache empty: this build starts cold');

    copy.write('lib/message.js', "export const message = 'hello from next, version 2';\n");
    await copy.commitAll('one-line source change');
    const warm = await copy.push(url, 'main');
    expect(warm.stderr).not.toContain('remote:  !');
    expect(warm.code).toBe(0);
    expect(warm.stderr).toMatch(/remote:\s+Restored build cache from this environment's previous builds: [^\n]*\bnext \d+(\.\d)? MB/);
    expect(warm.stderr).toMatch(/Restored build cache [^\n]*\bnpm \d+(\.\d)? MB/);
    const [latest] = await builds(platform, user, app);
    expect(latest.status).toBe('succeeded');

    // The cached directory is on the build host, under the environment's own key.
    const dir = platform.app.get(BerthConfig).builds.cacheDir;
    expect(readdirSync(join(dir, `${key}-next`)).length).toBeGreaterThan(0);
    expect(readdirSync(join(dir, `${key}-npm`)).length).toBeGreaterThan(0);

    // Deleting the app deletes its environments; the builder's sweep then removes their caches.
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
    expect(await db.environment.findUnique({ where: { id: environment.id } })).toBeNull();
    await platform.app.get(BuildSweeper).sweep();
    expect(await caches.measure(key)).toEqual([]);
  });
});
