import { Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthConfig } from '@berth/config';

/**
 * Build caches that outlive a build: `RUN --mount=type=cache` directories the engine keeps on
 * the build host (BUILD_CACHE_DIR), one set per environment. Their ids are Berth's own and
 * secret-keyed, so one tenant's build can neither name nor guess another's; tenants' own
 * Dockerfiles may not use cache mounts at all (planDockerfile). This class measures them for
 * the build log, empties one over BUILD_CACHE_MAX_MB, and removes those of deleted environments.
 */
@Injectable()
export class BuildCaches {
  private readonly logger = new Logger('BuildCaches');

  constructor(private readonly config: BerthConfig) {}

  /** The cache key of an environment's builds, or null when BUILD_CACHE=false. */
  keyFor(environmentId: string): string | null {
    if (!this.config.builds.cache) return null;
    return buildCacheKey(this.config.secretKey, this.config.installId, environmentId);
  }

  /** Each cache of a key with its size in bytes (empty when the environment has none yet). */
  async measure(key: string): Promise<{ name: string; bytes: number }[]> {
    const names = (await readdir(this.config.builds.cacheDir).catch(() => [] as string[])).filter((name) => name.startsWith(`${key}-`)).sort();
    return Promise.all(names.map(async (name) => ({ name: name.slice(key.length + 1), bytes: await sizeOf(join(this.config.builds.cacheDir, name)) })));
  }

  /** Removes every cache of a key. */
  async clear(key: string): Promise<void> {
    const names = (await readdir(this.config.builds.cacheDir).catch(() => [] as string[])).filter((name) => name.startsWith(`${key}-`));
    for (const name of names) await rm(join(this.config.builds.cacheDir, name), { recursive: true, force: true });
  }

  /** After a build: empties the environment's caches when over BUILD_CACHE_MAX_MB; what to say, or null. */
  async bound(key: string): Promise<string | null> {
    const total = (await this.measure(key)).reduce((sum, cache) => sum + cache.bytes, 0);
    if (total <= this.config.builds.cacheMaxBytes) return null;
    await this.clear(key);
    return `The build cache grew to ${mb(total)} MB, over BUILD_CACHE_MAX_MB (${mb(this.config.builds.cacheMaxBytes)} MB): emptied, so the next build starts cold`;
  }

  /** Removes the caches of this install's environments that no longer exist; how many environments' caches went. */
  async pruneDeleted(existing: (environmentIds: string[]) => Promise<ReadonlySet<string>>): Promise<number> {
    const prefix = `berth-${this.config.installId}-`;
    const names = (await readdir(this.config.builds.cacheDir).catch(() => [] as string[])).filter((name) => name.startsWith(prefix));
    const byEnvironment = new Map<string, string[]>();
    for (const name of names) {
      const environmentId = name.slice(prefix.length, prefix.length + 36);
      // Only this install's own keys (another install's id may start like this one's).
      if (!/^[0-9a-f-]{36}$/.test(environmentId) || !name.startsWith(`${buildCacheKey(this.config.secretKey, this.config.installId, environmentId)}-`)) continue;
      byEnvironment.set(environmentId, [...(byEnvironment.get(environmentId) ?? []), name]);
    }
    if (!byEnvironment.size) return 0;
    const alive = await existing([...byEnvironment.keys()]);
    let pruned = 0;
    for (const [environmentId, dirs] of byEnvironment) {
      if (alive.has(environmentId)) continue;
      for (const dir of dirs) await rm(join(this.config.builds.cacheDir, dir), { recursive: true, force: true });
      pruned++;
      this.logger.log(`removed the build caches of deleted environment ${environmentId}`);
    }
    return pruned;
  }
}

/**
 * An environment's cache key: install and environment (so a sweep can find whose it is) and an
 * HMAC of both under BERTH_SECRET_KEY, which no tenant knows, so no tenant can name another's cache.
 */
export function buildCacheKey(secretKey: Buffer, installId: string, environmentId: string): string {
  const mac = createHmac('sha256', secretKey).update(`build-cache:${installId}:${environmentId}`).digest('hex').slice(0, 24);
  return `berth-${installId}-${environmentId}-${mac}`;
}

/** What the build log says about the caches a build starts with. */
export function describeRestored(caches: { name: string; bytes: number }[]): string {
  const used = caches.filter((cache) => cache.bytes > 0);
  if (!used.length) return 'Build cache empty: this build starts cold (the next one reuses what it caches)';
  return `Restored build cache from this environment's previous builds: ${used.map((cache) => `${cache.name} ${mb(cache.bytes)} MB`).join(', ')}`;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);

/** Bytes under a path, never following symbolic links (a tenant's build writes what it likes into its cache). */
async function sizeOf(path: string): Promise<number> {
  const stat = await lstat(path).catch(() => null);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.isFile() ? stat.size : 0;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await sizeOf(join(path, name));
  return total;
}
