import { buildFirewallRules, buildFirewallRules6, chainsOf, nameserversIn, subnetOf } from './build-firewall';
import { BuildNetwork } from './build-network';

describe('build firewall rules', () => {
  const plan = { bridge: 'berthb0123abcde', nameservers: ['10.255.255.53'], allow: ['10.0.0.5', '192.168.10.0/24'], hostSubnets: ['192.0.2.0/24', '10.88.0.0/16'] };
  const rules = buildFirewallRules(plan).split('\n');
  const { forward, input } = chainsOf(plan.bridge);
  const at = (rule: string) => {
    const index = rules.indexOf(rule);
    expect(index).toBeGreaterThanOrEqual(0);
    return index;
  };

  it('declares (so empties) its own two chains and commits once', () => {
    expect(rules.slice(0, 3)).toEqual(['*filter', `:${forward} - [0:0]`, `:${input} - [0:0]`]);
    expect(rules.filter((line) => line === 'COMMIT')).toHaveLength(1);
    expect(forward.length).toBeLessThanOrEqual(28);
    expect(input.length).toBeLessThanOrEqual(28);
  });

  it('refuses every new connection to the host itself', () => {
    expect(rules.filter((line) => line.startsWith(`-A ${input} `))).toEqual([
      `-A ${input} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
      `-A ${input} -j REJECT --reject-with icmp-port-unreachable`,
    ]);
  });

  it('refuses other builds, published ports and private ranges before letting DNS and allowed addresses through', () => {
    const reject = '-j REJECT --reject-with icmp-port-unreachable';
    const bridge = at(`-A ${forward} -o ${plan.bridge} ${reject}`);
    const dnat = at(`-A ${forward} -m conntrack --ctstate DNAT ${reject}`);
    const dns = at(`-A ${forward} -d 10.255.255.53/32 -p udp -m udp --dport 53 -j RETURN`);
    at(`-A ${forward} -d 10.255.255.53/32 -p tcp -m tcp --dport 53 -j RETURN`);
    const allowed = at(`-A ${forward} -d 10.0.0.5/32 -j RETURN`);
    at(`-A ${forward} -d 192.168.10.0/24 -j RETURN`);
    const loopback = at(`-A ${forward} -d 127.0.0.0/8 ${reject}`);
    const tenNet = at(`-A ${forward} -d 10.0.0.0/8 ${reject}`);
    const lan = at(`-A ${forward} -d 192.0.2.0/24 ${reject}`);
    at(`-A ${forward} -d 169.254.0.0/16 ${reject}`);
    expect(bridge).toBeLessThan(dnat);
    expect(dnat).toBeLessThan(dns);
    expect(Math.max(dns, allowed)).toBeLessThan(Math.min(loopback, tenNet, lan));
    // Nothing is accepted outright: what is not refused goes on to the engine's own rules.
    expect(rules.some((line) => / -j ACCEPT/.test(line))).toBe(false);
  });

  it('lets the steps reach a host service it names on that one address and port, and nothing else on the host', () => {
    const withIndex = buildFirewallRules({ ...plan, hostServices: [{ address: '10.89.3.1', port: 3141 }] }).split('\n');
    expect(withIndex.filter((line) => line.startsWith(`-A ${input} `))).toEqual([
      `-A ${input} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
      `-A ${input} -d 10.89.3.1/32 -p tcp -m tcp --dport 3141 -j RETURN`,
      `-A ${input} -j REJECT --reject-with icmp-port-unreachable`,
    ]);
  });

  it('refuses all IPv6 from the bridge', () => {
    expect(buildFirewallRules6(plan.bridge)).toContain(`-A ${forward} -j REJECT --reject-with icmp6-port-unreachable`);
    expect(buildFirewallRules6(plan.bridge)).toContain(`-A ${input} -j REJECT --reject-with icmp6-port-unreachable`);
  });

  it('reads nameservers and subnets', () => {
    expect(nameserversIn('# comment\nnameserver 10.255.255.53\nnameserver 127.0.0.53\nnameserver ::1\nsearch lan\nnameserver 1.1.1.1\n')).toEqual(['10.255.255.53', '1.1.1.1']);
    expect(subnetOf('192.0.2.2/24')).toBe('192.0.2.0/24');
    expect(subnetOf('10.89.3.1/16')).toBe('10.89.0.0/16');
    expect(subnetOf('203.0.113.7/32')).toBe('203.0.113.7/32');
  });

  it('names bridges after their network within the 15 characters Linux allows', () => {
    const bridge = BuildNetwork.bridgeFor('berth-build-some-install-with-a-rather-long-redis-prefix');
    expect(bridge).toMatch(/^berthb[0-9a-f]{9}$/);
    expect(BuildNetwork.bridgeFor('berth-build-a')).not.toBe(BuildNetwork.bridgeFor('berth-build-b'));
  });
});
