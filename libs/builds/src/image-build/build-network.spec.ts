import type { BerthConfig } from '@berth/config';
import type { ContainerEngine } from '@berth/engine';
import type { BuildFirewall, BuildFirewallPlan } from './build-firewall';
import { BUILD_DROPPED_CAPABILITIES, BuildNetwork, loopbackIndexRoute } from './build-network';

type Dial = { path: string; method: string; options?: Record<string, unknown> };

/** An engine that speaks like Podman: a network store behind the libpod endpoints. */
function fakePodman(existing: Record<string, { driver: string; network_interface: string; subnets?: { subnet: string; gateway: string }[] }> = {}) {
  const networks = { ...existing };
  const dials: Dial[] = [];
  const engine = {
    api: {
      version: async () => ({ Components: [{ Name: 'Podman Engine' }] }),
      modem: {
        dial: (options: Dial, callback: (error: unknown, data?: unknown) => void) => {
          dials.push(options);
          if (options.method === 'POST') {
            const { name, network_interface } = options.options as { name: string; network_interface: string };
            networks[name] = { driver: 'bridge', network_interface };
            return callback(null, {});
          }
          const name = decodeURIComponent(/networks\/([^/]+)\/json/.exec(options.path)![1]);
          return networks[name] ? callback(null, networks[name]) : callback(Object.assign(new Error('no such network'), { statusCode: 404 }));
        },
      },
    },
  } as unknown as ContainerEngine;
  return { engine, dials, networks };
}

const config = { builds: { network: 'berth-build-test', networkAllow: ['10.0.0.5'] }, redis: { prefix: 'test' }, installId: 'test' } as unknown as BerthConfig;

class FakeFirewall {
  applied: BuildFirewallPlan[] = [];
  failure: Error | null = null;
  async hostFacts() {
    return { nameservers: ['10.255.255.53'], hostSubnets: ['192.0.2.0/24'] };
  }
  async apply(plan: BuildFirewallPlan) {
    if (this.failure) throw this.failure;
    this.applied.push(plan);
  }
}

describe('BuildNetwork', () => {
  it('creates an isolated bridge without DNS through libpod, guards it, and names it to the build API', async () => {
    const { engine, dials, networks } = fakePodman();
    const firewall = new FakeFirewall();
    const network = new BuildNetwork(engine, config, firewall as unknown as BuildFirewall);

    const options = await network.prepare();

    const create = dials.find((d) => d.method === 'POST')!;
    expect(create.path).toMatch(/^\/v4\.0\.0\/libpod\/networks\/create/);
    expect(create.options).toMatchObject({ name: 'berth-build-test', driver: 'bridge', dns_enabled: false, options: { isolate: 'true' }, labels: { 'berth.network': 'build', 'berth.install': 'test' } });
    const bridge = BuildNetwork.bridgeFor('berth-build-test');
    expect(networks['berth-build-test'].network_interface).toBe(bridge);
    expect(firewall.applied).toEqual([{ bridge, allow: ['10.0.0.5'], nameservers: ['10.255.255.53'], hostSubnets: ['192.0.2.0/24'] }]);
    expect(JSON.parse(options.nsoptions)).toEqual([{ Name: 'network', Path: 'berth-build-test' }]);
    expect(JSON.parse(options.dropcaps)).toEqual(BUILD_DROPPED_CAPABILITIES);
    expect(options.networkmode).toBeUndefined();

    // The next build finds the network and refreshes the rules.
    await network.prepare();
    expect(dials.filter((d) => d.method === 'POST')).toHaveLength(1);
    expect(firewall.applied).toHaveLength(2);
  });

  it('guards the bridge an existing network has', async () => {
    const { engine } = fakePodman({ 'berth-build-test': { driver: 'bridge', network_interface: 'cni-podman7' } });
    const firewall = new FakeFirewall();
    await new BuildNetwork(engine, config, firewall as unknown as BuildFirewall).prepare();
    expect(firewall.applied[0].bridge).toBe('cni-podman7');
  });

  it('refuses to build when the firewall cannot be set up, saying what the operator must do', async () => {
    const { engine } = fakePodman();
    const firewall = new FakeFirewall();
    firewall.failure = new Error('iptables-restore -w --noflush: spawn iptables-restore ENOENT');
    await expect(new BuildNetwork(engine, config, firewall as unknown as BuildFirewall).prepare()).rejects.toThrow(
      /isolated network \(berth-build-test\) behind host firewall rules, and these could not be set up: iptables-restore .*ENOENT\. No build runs without them: run the builder as root .* iptables installed/,
    );
  });

  it('refuses a network of that name that is not a bridge', async () => {
    const { engine } = fakePodman({ 'berth-build-test': { driver: 'macvlan', network_interface: 'eth0' } });
    await expect(new BuildNetwork(engine, config, new FakeFirewall() as unknown as BuildFirewall).prepare()).rejects.toThrow(/exists but is not a bridge; remove it/);
  });

  it('routes a package index on the host loopback through the gateway, opening that port only', async () => {
    const { engine } = fakePodman({ 'berth-build-test': { driver: 'bridge', network_interface: 'berthb1', subnets: [{ subnet: '10.89.3.0/24', gateway: '10.89.3.1' }] } });
    const firewall = new FakeFirewall();
    const withIndex = { ...config, builds: { ...config.builds, pipIndexUrl: 'http://127.0.0.1:3141/simple/' } } as unknown as BerthConfig;
    const options = await new BuildNetwork(engine, withIndex, firewall as unknown as BuildFirewall).prepare();
    expect(firewall.applied[0].hostServices).toEqual([{ address: '10.89.3.1', port: 3141 }]);
    expect(JSON.parse(options.buildargs)).toEqual({ BERTH_PIP_INDEX_URL: 'http://10.89.3.1:3141/simple/', BERTH_PIP_TRUSTED_HOST: '10.89.3.1' });

    // An index elsewhere is reached as configured: no host service, no build arguments.
    const remote = { ...config, builds: { ...config.builds, pipIndexUrl: 'https://pypi.example/simple/' } } as unknown as BerthConfig;
    const plain = new FakeFirewall();
    expect((await new BuildNetwork(engine, remote, plain as unknown as BuildFirewall).prepare()).buildargs).toBeUndefined();
    expect(plain.applied[0].hostServices).toBeUndefined();
  });

  it('reads a loopback index URL, localhost and the default port included', () => {
    expect(loopbackIndexRoute('http://localhost/simple/', '10.89.0.1')).toEqual({ service: { address: '10.89.0.1', port: 80 }, buildArgs: { BERTH_PIP_INDEX_URL: 'http://10.89.0.1/simple/', BERTH_PIP_TRUSTED_HOST: '10.89.0.1' } });
    expect(loopbackIndexRoute('https://127.0.0.2/pypi/simple/', '10.89.0.1')?.service).toEqual({ address: '10.89.0.1', port: 443 });
    expect(loopbackIndexRoute('http://192.168.1.5:3141/simple/', '10.89.0.1')).toBeNull();
    expect(loopbackIndexRoute('http://127.0.0.1:3141/simple/', null)).toBeNull();
  });
});
