import { Injectable } from '@nestjs/common';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthConfig } from '@berth/config';
import { extractSource, SourceLimits } from './source-extract';

/**
 * The source of each build: a tar of the pushed commit, written by the api (from git, while the
 * push waits) and read by the builder. Both roles share BERTH_DATA_DIR here; a builder on
 * another host needs that directory shared (see README "Builds").
 */
@Injectable()
export class SourceStore {
  private readonly dir: string;
  private readonly limits: SourceLimits;

  constructor(config: BerthConfig) {
    this.dir = join(config.dataDir, 'sources');
    this.limits = config.builds.maxSource;
  }

  path(buildId: string): string {
    return join(this.dir, `${buildId}.tar`);
  }

  /** Stores a build's source tar; returns its size. Written aside and renamed, so readers never see half a file. */
  async write(buildId: string, tar: Readable): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    const partial = `${this.path(buildId)}.partial`;
    try {
      await pipeline(tar, createWriteStream(partial, { mode: 0o600 }));
      await rename(partial, this.path(buildId));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return (await stat(this.path(buildId))).size;
  }

  async exists(buildId: string): Promise<boolean> {
    return stat(this.path(buildId)).then(
      () => true,
      () => false,
    );
  }

  /**
   * Unpacks a build's source into `dest` (created, and expected not to exist before), never
   * writing outside it, within BUILD_MAX_SOURCE_MB and BUILD_MAX_SOURCE_FILES (a BuildFailure
   * otherwise: the push checked them too, so this is the second wall).
   */
  async extract(buildId: string, dest: string): Promise<void> {
    await mkdir(dest, { recursive: true });
    await extractSource(createReadStream(this.path(buildId)), dest, this.limits);
  }

  async remove(buildId: string): Promise<void> {
    await rm(this.path(buildId), { force: true });
  }
}
