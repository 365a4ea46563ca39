import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BerthConfig } from '@berth/config';

export interface PackumentVersion {
  version: string;
  engines?: Record<string, string>;
  bin?: Record<string, string> | string;
  dist: { tarball: string; integrity?: string; shasum: string };
}

export interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, PackumentVersion>;
}

const CACHE_MS = 10 * 60_000;
const TIMEOUT_MS = 30_000;

/**
 * Package metadata from the configured npm registry (BUILD_NPM_REGISTRY), trusting the
 * configured CA bundle. Answers are kept for ten minutes.
 */
@Injectable()
export class NpmRegistry {
  private readonly cache = new Map<string, { at: number; value: Promise<Packument> }>();
  private readonly ca: string | undefined;

  constructor(private readonly config: BerthConfig) {
    this.ca = config.builds.caBundle ? readFileSync(config.builds.caBundle, 'utf8') : undefined;
  }

  get url(): string {
    return this.config.builds.npmRegistry;
  }

  packument(name: string): Promise<Packument> {
    const cached = this.cache.get(name);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
    const value = this.fetch(name);
    this.cache.set(name, { at: Date.now(), value });
    value.catch(() => this.cache.delete(name));
    return value;
  }

  private fetch(name: string): Promise<Packument> {
    const url = new URL(name.replace('/', '%2f'), this.url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        // The abbreviated form has versions, engines and dist, and is a fraction of the size.
        { headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' }, ca: this.ca, timeout: TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`${url.href} answered HTTP ${res.statusCode}`));
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Packument);
            } catch (error) {
              reject(new Error(`${url.href} sent invalid JSON: ${(error as Error).message}`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${url.href} did not answer within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end();
    });
  }
}
