import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BerthConfig } from '@berth/config';
import { BuildCaches, buildCacheKey, describeRestored } from './build-cache';
import { buildCaches } from '../buildpacks/nodejs';

const KEY = Buffer.alloc(32, 7);
const ENV_A = '0b1e6a52-7c4e-4c1a-9f57-3b2f5d0c1a01';
const ENV_B = '5d2c9e1f-1111-4c1a-9f57-3b2f5d0c1a02';

describe('build cache keys', () => {
  it('are per install and environment, and cannot be made without the secret key', () => {
    const a = buildCacheKey(KEY, 'prod', ENV_A);
    expect(a).toMatch(new RegExp(`^berth-prod-${ENV_A}-[0-9a-f]{24}$`));
    expect(buildCacheKey(KEY, 'prod', ENV_A)).toBe(a);
    expect(buildCacheKey(KEY, 'prod', ENV_B)).not.toBe(buildCacheKey(KEY, 'prod', ENV_A).replace(ENV_A, ENV_B));
    expect(buildCacheKey(Buffer.alloc(32, 8), 'prod', ENV_A)).not.toBe(a);
    expect(buildCacheKey(KEY, 'other', ENV_A)).not.toBe(a);
  });
});

describe('build cache steps of a Node.js app', () => {
  const npm = { name: 'npm' as const, install: 'npm ci --cache /tmp/npm-cache && rm -rf /tmp/npm-cache', cacheDir: '/tmp/npm-cache' };

  it('keeps the npm cache and mounts .next/cache for a Next.js build', () => {
    const steps = buildCaches('berth-i-e-k', npm, { dependencies: { next: '15' } }, true);
    expect(steps.install).toBe('--mount=type=cache,id=berth-i-e-k-npm,target=/tmp/npm-cache,uid=1000,gid=1000 npm ci --cache /tmp/npm-cache');
    expect(steps.beforeBuild).toEqual(['RUN mkdir -p .next/cache node_modules/.cache']);
    expect(steps.mounts).toBe(
      '--mount=type=cache,id=berth-i-e-k-next,target=/app/.next/cache,uid=1000,gid=1000 --mount=type=cache,id=berth-i-e-k-modules,target=/app/node_modules/.cache,uid=1000,gid=1000 ',
    );
    expect(steps.note).toBe('Build cache kept for this environment: the npm cache and .next/cache, node_modules/.cache');
  });

  it('mounts no framework cache without a build, and nothing without a cache key', () => {
    expect(buildCaches('k', npm, { dependencies: { next: '15' } }, false)).toMatchObject({ beforeBuild: [], mounts: '' });
    expect(buildCaches(null, npm, { dependencies: { next: '15' } }, true)).toEqual({ install: npm.install, beforeBuild: [], mounts: '', note: null });
  });
});

describe('BuildCaches', () => {
  let dir: string;
  const caches = (maxBytes = 1024) =>
    new BuildCaches({ secretKey: KEY, installId: 'prod', builds: { cache: true, cacheDir: dir, cacheMaxBytes: maxBytes } } as unknown as BerthConfig);
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'berth-cache-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('measures an environment\'s caches without following links, and says what a build starts with', async () => {
    const key = caches().keyFor(ENV_A)!;
    expect(describeRestored(await caches().measure(key))).toMatch(/^Build cache empty: this build starts cold/);
    mkdirSync(join(dir, `${key}-npm`, 'sub'), { recursive: true });
    writeFileSync(join(dir, `${key}-npm`, 'sub', 'a'), Buffer.alloc(300));
    mkdirSync(join(dir, `${key}-next`));
    writeFileSync(join(dir, `${key}-next`, 'b'), Buffer.alloc(200));
    symlinkSync('/usr', join(dir, `${key}-next`, 'link'));
    expect(await caches().measure(key)).toEqual([
      { name: 'next', bytes: 200 },
      { name: 'npm', bytes: 300 },
    ]);
    expect(describeRestored(await caches().measure(key))).toBe("Restored build cache from this environment's previous builds: next 0.0 MB, npm 0.0 MB");
  });

  it('empties an environment\'s caches over the limit, and only that environment\'s', async () => {
    const [a, b] = [caches().keyFor(ENV_A)!, caches().keyFor(ENV_B)!];
    for (const key of [a, b]) {
      mkdirSync(join(dir, `${key}-npm`));
      writeFileSync(join(dir, `${key}-npm`, 'x'), Buffer.alloc(2000));
    }
    expect(await caches(4096).bound(a)).toBeNull();
    expect(await caches(1024).bound(a)).toMatch(/over BUILD_CACHE_MAX_MB .*emptied, so the next build starts cold/);
    expect(readdirSync(dir)).toEqual([`${b}-npm`]);
  });

  it('removes the caches of deleted environments of this install only', async () => {
    for (const name of [`${caches().keyFor(ENV_A)}-npm`, `${caches().keyFor(ENV_B)}-npm`, `berth-other-${ENV_A}-abc-npm`, `berth-prod-${ENV_A}-${'0'.repeat(24)}-npm`, 'someone-else']) mkdirSync(join(dir, name));
    expect(await caches().pruneDeleted(async () => new Set([ENV_B]))).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([`${caches().keyFor(ENV_B)}-npm`, `berth-other-${ENV_A}-abc-npm`, `berth-prod-${ENV_A}-${'0'.repeat(24)}-npm`, 'someone-else'].sort());
  });
});
