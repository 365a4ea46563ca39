import { containerSpec, ContainerRequest, cpuShares, diskTarget } from './container-spec';

const request: ContainerRequest = {
  name: 'berth-h-1',
  image: 'localhost/app:1',
  imageUser: '',
  command: 'node server.js',
  env: { DATABASE_URL: 'postgres://x', PORT: '1' },
  labels: { 'berth.instance': '1' },
  limits: { memoryMb: 128, cpuMillis: 250, pidsLimit: 64 },
  security: { defaultUser: '65534:65534', ulimits: { nofile: { soft: 1024, hard: 1024 }, nproc: { soft: 4096, hard: 4096 } } },
  publishOn: '127.0.0.1',
  disk: { volume: 'berth-h-1-disk', target: '/app', sizeMb: 512 },
  logMaxMb: 10,
};

describe('container spec', () => {
  it('limits memory with no swap on top, CPU by quota and pids', () => {
    const { HostConfig } = containerSpec(request);
    expect(HostConfig).toMatchObject({ Memory: 128 * 1024 * 1024, MemorySwap: 128 * 1024 * 1024, NanoCpus: 250_000_000, PidsLimit: 64 });
  });

  it('shares CPU under contention in proportion to the CPU request: 1024 shares per core', () => {
    expect(containerSpec({ ...request, cpuRequestMillis: 25 }).HostConfig?.CpuShares).toBe(26);
    expect(containerSpec({ ...request, cpuRequestMillis: 1000 }).HostConfig?.CpuShares).toBe(1024);
    // No request: the limit.
    expect(containerSpec(request).HostConfig?.CpuShares).toBe(256);
    expect(cpuShares(1)).toBe(2);
  });

  it('gives the default requests valid shares, and larger requests shares in proportion', () => {
    // The default requests: 3 millicores of a 0.5 CPU quota, 1 of a preview's 0.25 (the kernel's minimum is 2).
    expect(cpuShares(3)).toBe(3);
    expect(cpuShares(1)).toBe(2);
    expect(cpuShares(0)).toBe(2);
    // Explicit requests keep their proportions: twice the request, twice the shares.
    expect([100, 250, 500, 2000].map(cpuShares)).toEqual([102, 256, 512, 2048]);
  });

  it('grants no privileges, no capabilities and no mounts of the host', () => {
    const { HostConfig } = containerSpec(request);
    expect(HostConfig).toMatchObject({ Privileged: false, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] });
    expect(HostConfig?.CapAdd).toBeUndefined();
    expect(HostConfig?.Binds).toBeUndefined();
    expect(HostConfig?.Mounts?.every((mount) => mount.Type === 'volume')).toBe(true);
    expect(HostConfig?.Ulimits).toEqual([
      { Name: 'nofile', Soft: 1024, Hard: 1024 },
      { Name: 'nproc', Soft: 4096, Hard: 4096 },
    ]);
  });

  it('runs as a non-root user unless the image names one', () => {
    expect(containerSpec(request).User).toBe('65534:65534');
    expect(containerSpec({ ...request, imageUser: 'root' }).User).toBe('65534:65534');
    expect(containerSpec({ ...request, imageUser: '0:0' }).User).toBe('65534:65534');
    expect(containerSpec({ ...request, imageUser: 'app' }).User).toBe('app');
  });

  it('gives the config plus its own PORT and HOME on its disk, and runs the Procfile command through sh', () => {
    const spec = containerSpec(request);
    expect(spec.Env).toEqual(['HOME=/app', 'DATABASE_URL=postgres://x', 'PORT=5000']);
    expect(containerSpec({ ...request, env: { HOME: '/srv' } }).Env).toEqual(['HOME=/srv', 'PORT=5000']);
    expect(spec.Cmd).toEqual(['/bin/sh', '-c', 'node server.js']);
    expect(containerSpec({ ...request, command: null }).Cmd).toBeUndefined();
  });

  it('writes only to its own disk at its working directory and to size-limited in-memory scratch directories', () => {
    const { HostConfig } = containerSpec(request);
    expect(HostConfig?.ReadonlyRootfs).toBe(true);
    expect(HostConfig?.Mounts).toEqual([{ Type: 'volume', Source: 'berth-h-1-disk', Target: '/app' }]);
    expect(HostConfig?.Tmpfs).toEqual({
      '/tmp': 'rw,nosuid,nodev,size=64m,mode=1777',
      '/var/tmp': 'rw,nosuid,nodev,size=16m,mode=1777',
      '/run': 'rw,nosuid,nodev,size=16m,mode=755',
    });
    expect(containerSpec({ ...request, limits: { ...request.limits, memoryMb: 32 } }).HostConfig?.Tmpfs?.['/var/tmp']).toMatch(/size=4m/);
  });

  it("mounts the disk at the image's working directory, or /app when it has none", () => {
    expect(diskTarget('/app')).toBe('/app');
    expect(diskTarget('/usr/src/app/')).toBe('/usr/src/app');
    expect(diskTarget('')).toBe('/app');
    expect(diskTarget('/')).toBe('/app');
    expect(diskTarget('/tmp')).toBe('/app');
    expect(diskTarget(undefined)).toBe('/app');
  });

  it("caps the output the engine keeps on the host", () => {
    expect(containerSpec(request).HostConfig?.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '10m' } });
    expect(containerSpec({ ...request, logMaxMb: 3 }).HostConfig?.LogConfig?.Config).toEqual({ 'max-size': '3m' });
  });

  it('publishes the port of web processes only, on the given address at a port the engine picks', () => {
    expect(containerSpec(request).HostConfig?.PortBindings).toEqual({ '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(containerSpec({ ...request, publishOn: undefined }).HostConfig?.PortBindings).toBeUndefined();
  });
});
