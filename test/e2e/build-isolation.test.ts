import { BerthConfig } from '@berth/config';
import { randomBytes } from 'node:crypto';
import { createServer, Server, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { BuildNetwork } from '@berth/builds';
import { ContainerEngine } from '@berth/engine';
import { AppNetworks } from '../../libs/agent/src/host/app-networks';
import { builds, build, Pushes } from '../support/builds';
import { gitUrl } from '../support/git';
import { ensureBusyboxImage } from '../support/images';
import { RunningPlatform, startPlatform } from '../support/platform';
import { signUp, TestUser } from '../support/users';

jest.setTimeout(240_000);

const TEST_LABEL = { 'berth.test': 'build-isolation' };

/** Whether this process (on the host) can open a TCP connection to the target. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** The host's first non-loopback IPv4 address (its LAN address). */
function hostAddress(): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (/^(cni-|berthb|podman|veth)/.test(name)) continue;
    const found = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (found) return found.address;
  }
  throw new Error('this host has no non-loopback IPv4 address');
}

/**
 * What a pushed Dockerfile's RUN step can reach: nothing of the platform, the host or other
 * tenants, while the package registries stay reachable (through the upstream proxy).
 */
describe('build isolation', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => platform);
  let listener: Server;
  let containerId: string | null = null;
  let appNetwork: string | null = null;
  let engine: ContainerEngine;

  beforeAll(async () => {
    platform = await startPlatform(['api', 'builder'], { GIT_PUSH_DEPLOY_WAIT_SECONDS: '0' });
    user = await signUp(platform);
    engine = platform.app.get(ContainerEngine);
    // Stands in for anything listening on all of the host's addresses (an API with HOST=0.0.0.0, HAProxy).
    listener = createServer((socket) => {
      socket.on('error', () => undefined); // probes hang up at once
      socket.end('hello from the host\n');
    });
    await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
  });

  afterAll(async () => {
    if (containerId) await engine.api.getContainer(containerId).remove({ force: true }).catch(() => undefined);
    if (appNetwork) await engine.api.getNetwork(appNetwork).remove().catch(() => undefined);
    await new Promise((resolve) => listener?.close(resolve));
    await pushes.cleanup();
    await platform?.app.get(BuildNetwork).remove().catch(() => undefined);
    await platform?.close();
  });

  /** Another tenant's app: busybox httpd on its own isolated app network, its port published on 127.0.0.1 and on all addresses. */
  async function otherTenantApp(): Promise<{ address: string; loopbackPort: number; publicPort: number }> {
    const appId = `bi${randomBytes(6).toString('hex')}`;
    appNetwork = await new AppNetworks(engine, platform.app.get(BerthConfig)).ensure({ id: appId, name: 'other-tenant' });
    const container = await engine.api.createContainer({
      Image: ensureBusyboxImage(),
      Cmd: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      Labels: TEST_LABEL,
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: {
        NetworkMode: appNetwork,
        Memory: 32 * 1024 * 1024,
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }, { HostIp: '0.0.0.0', HostPort: '' }] },
      },
    });
    containerId = container.id;
    await container.start();
    const info = await container.inspect();
    const bindings = info.NetworkSettings.Ports['8080/tcp'] ?? [];
    const port = (ip: string) => Number(bindings.find((b) => b.HostIp === ip)?.HostPort);
    const address = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
    return { address, loopbackPort: port('127.0.0.1'), publicPort: port('0.0.0.0') || port('') };
  }

  it('runs every RUN step where it reaches the package registry but not the platform, the host or other tenants', async () => {
    const host = hostAddress();
    const apiPort = Number(new URL(platform.url).port);
    const listenerPort = (listener.address() as { port: number }).port;
    const other = await otherTenantApp();
    const denied: [string, string, number][] = [
      ['redis', '127.0.0.1', 6379],
      ['redis-host-address', host, 6379],
      ['postgres', '127.0.0.1', 5432],
      ['api', '127.0.0.1', apiPort],
      ['host-service', host, listenerPort],
      ['host-service-gateway', 'GATEWAY', listenerPort],
      ['other-tenant-app', other.address, 8080],
      ['published-loopback', '127.0.0.1', other.loopbackPort],
      ['published-host-address', host, other.publicPort],
    ];
    // Each target but Redis on the LAN address (it listens on loopback only) is live: seen from the host, it answers.
    for (const [name, address, port] of denied) {
      if (address === 'GATEWAY' || name === 'redis-host-address') continue;
      expect([name, await reachable(address, port)]).toEqual([name, true]);
    }

    const app = await pushes.app(user, 'probe');
    const copy = await pushes.fixture('build-probes', { nonce: true });
    copy.write('targets', [...denied, ['npm-registry', 'registry.npmjs.org', 443]].map((target) => target.join(' ')).join('\n') + '\n');
    await copy.commitAll('targets of this run');
    const push = await copy.push(gitUrl(platform, app, user.token), 'main');
    const [only] = await builds(platform, user, app);
    const log = (await build(platform, user, app, only.id)).log ?? '';
    expect([push.code, only.status, only.failureReason]).toEqual([0, 'succeeded', null]);

    const answers = Object.fromEntries([...log.matchAll(/^REACH ([\w-]+): (yes|no)$/gm)].map((m) => [m[1], m[2]]));
    expect(answers).toEqual({ ...Object.fromEntries(denied.map(([name]) => [name, 'no'])), 'npm-registry': 'yes' });

    // Not even raw sockets or chroot: what package installs do not need is dropped.
    const capabilities = BigInt(`0x${/^capabilities: ([0-9a-f]+)$/m.exec(log)?.[1] ?? 'ffffffffff'}`);
    for (const [name, bit] of [['NET_RAW', 13n], ['SYS_CHROOT', 18n], ['MKNOD', 27n], ['AUDIT_WRITE', 29n]] as const) {
      expect([name, (capabilities >> bit) & 1n]).toEqual([name, 0n]);
    }
  });
});
