import { existsSync } from 'node:fs';
import { parseConfig } from '../config';
import { HOST_CA_BUNDLE } from './builds';

const KEY = 'ab'.repeat(32);

describe('build and git configuration', () => {
  it('has defaults', () => {
    const config = parseConfig({ BERTH_SECRET_KEY: KEY });
    expect(config.builds).toMatchObject({
      concurrency: 2,
      memoryBytes: 2048 * 1024 * 1024,
      cpus: 1,
      timeoutMs: 900_000,
      cache: true,
      npmRegistry: 'https://registry.npmjs.org/',
      pipIndexUrl: 'https://pypi.org/simple/',
      nodeVersion: '24.x',
      stackImage: 'localhost/berth/stack:bookworm-2',
      caBundle: existsSync(HOST_CA_BUNDLE) ? HOST_CA_BUNDLE : null,
      network: 'berth-build-berth',
      networkAllow: [],
      maxSource: { bytes: 500 * 1024 * 1024, files: 100_000 },
    });
    expect(parseConfig({ BERTH_SECRET_KEY: KEY, BERTH_REDIS_PREFIX: 'staging' }).builds.network).toBe('berth-build-staging');
    expect(config.git.maxPushBytes).toBe(512 * 1024 * 1024);
  });

  it('reads overrides, including fractions of a MiB and "none" for the CA bundle', () => {
    const config = parseConfig({ BERTH_SECRET_KEY: KEY, GIT_MAX_PUSH_MB: '0.5', BUILD_CPUS: '1.5', BUILD_CACHE: 'false', BUILD_CA_BUNDLE: 'none', BUILD_NPM_REGISTRY: 'https://npm.example.com/repo', BUILD_PIP_INDEX_URL: 'http://127.0.0.1:3141/root/pypi/+simple', BUILD_NETWORK: 'builds', BUILD_NETWORK_ALLOW: '10.0.0.5, 192.168.10.0/24', BUILD_MAX_SOURCE_MB: '8', BUILD_MAX_SOURCE_FILES: '300' });
    expect(config.git.maxPushBytes).toBe(512 * 1024);
    expect(config.builds).toMatchObject({ cpus: 1.5, cache: false, caBundle: null, npmRegistry: 'https://npm.example.com/repo/', pipIndexUrl: 'http://127.0.0.1:3141/root/pypi/+simple/', network: 'builds', networkAllow: ['10.0.0.5', '192.168.10.0/24'] });
    expect(config.builds.maxSource).toEqual({ bytes: 8 * 1024 * 1024, files: 300 });
  });

  it('names bad values', () => {
    expect(() => parseConfig({ BERTH_SECRET_KEY: KEY, BUILD_CA_BUNDLE: '/no/such/bundle.pem' })).toThrow(/BUILD_CA_BUNDLE: no such file/);
    expect(() => parseConfig({ BERTH_SECRET_KEY: KEY, BUILD_NODE_VERSION: 'latest please' })).toThrow(/BUILD_NODE_VERSION: expected a semver range/);
    expect(() => parseConfig({ BERTH_SECRET_KEY: KEY, BUILD_TIMEOUT_SECONDS: '0' })).toThrow(/BUILD_TIMEOUT_SECONDS/);
    expect(() => parseConfig({ BERTH_SECRET_KEY: KEY, BUILD_NETWORK_ALLOW: '10.0.0.0/8,proxy.lan' })).toThrow(/BUILD_NETWORK_ALLOW: expected IPv4 addresses or CIDRs/);
    expect(() => parseConfig({ BERTH_SECRET_KEY: KEY, BUILD_NETWORK: 'no spaces' })).toThrow(/BUILD_NETWORK: expected a network name/);
  });
});
