import { Injectable } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';

/** What the firewall of one build network is made from. */
export interface BuildFirewallPlan {
  /** The build network's bridge interface on the host. */
  bridge: string;
  /** DNS servers the build steps are given (the host's), reachable on port 53 only. */
  nameservers: string[];
  /** Private addresses or CIDRs the operator lets builds reach (BUILD_NETWORK_ALLOW). */
  allow: string[];
  /** The host's own IPv4 subnets (its LAN, every container network), refused. */
  hostSubnets: string[];
  /**
   * Services on the host itself that build steps may reach, each one address and TCP port (the
   * operator's package index on the host's loopback, reached through the bridge's gateway). Nothing
   * else on the host is.
   */
  hostServices?: { address: string; port: number }[];
}

/**
 * Address ranges no build step may reach: this host's loopback, private networks (the platform's
 * own services, other hosts of the install, every container network), carrier-grade NAT,
 * link-local (cloud metadata services), multicast and reserved.
 */
export const REFUSED_RANGES = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/4', '240.0.0.0/4'];

/** Names of the chains holding one build network's rules (iptables allows 28 characters; bridges have at most 15). */
export function chainsOf(bridge: string): { forward: string; input: string } {
  return { forward: `BERTH-${bridge}`, input: `BERTH-IN-${bridge}` };
}

/**
 * The IPv4 rules of a build network, as `iptables-restore --noflush` input: declaring a chain
 * empties it, so the whole set is replaced in one transaction and never stands half-written.
 * Packets entering the host from the bridge are refused, but for the host services the plan names
 * (one address and port each); packets forwarded from it are refused
 * when they go to another build on the bridge, to any published port (DNAT), or to a refused
 * range, except DNS to the host's servers and what the operator allows. The rest (the package
 * registries, through the upstream proxy) goes out.
 */
export function buildFirewallRules(plan: BuildFirewallPlan): string {
  const { forward, input } = chainsOf(plan.bridge);
  const reject = '-j REJECT --reject-with icmp-port-unreachable';
  const lines = ['*filter', `:${forward} - [0:0]`, `:${input} - [0:0]`];
  // Order matters: the first matching rule decides.
  lines.push(`-A ${input} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`);
  for (const { address, port } of plan.hostServices ?? []) lines.push(`-A ${input} -d ${address}/32 -p tcp -m tcp --dport ${port} -j RETURN`);
  lines.push(`-A ${input} ${reject}`);
  // Seen only when the host passes bridged frames to iptables (br_netfilter): builds of different apps share the bridge.
  lines.push(`-A ${forward} -o ${plan.bridge} ${reject}`);
  lines.push(`-A ${forward} -m conntrack --ctstate DNAT ${reject}`);
  for (const server of plan.nameservers) {
    for (const protocol of ['udp', 'tcp']) lines.push(`-A ${forward} -d ${server}/32 -p ${protocol} -m ${protocol} --dport 53 -j RETURN`);
  }
  for (const allowed of plan.allow) lines.push(`-A ${forward} -d ${allowed.includes('/') ? allowed : `${allowed}/32`} -j RETURN`);
  for (const range of [...REFUSED_RANGES, ...plan.hostSubnets]) lines.push(`-A ${forward} -d ${range} ${reject}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** IPv6: build networks have none, so everything from the bridge (link-local included) is refused. */
export function buildFirewallRules6(bridge: string): string {
  const { forward, input } = chainsOf(bridge);
  const reject = '-j REJECT --reject-with icmp6-port-unreachable';
  return ['*filter', `:${forward} - [0:0]`, `:${input} - [0:0]`, `-A ${input} ${reject}`, `-A ${forward} ${reject}`, 'COMMIT', ''].join('\n');
}

/** Firewall tools live in sbin, which a non-login PATH may lack. */
function binary(tool: string): string {
  return ['/usr/sbin', '/sbin'].map((dir) => `${dir}/${tool}`).find((path) => existsSync(path)) ?? tool;
}

/** The IPv4 nameservers of a resolv.conf, loopback ones left out (they cannot serve a container). */
export function nameserversIn(resolvConf: string): string[] {
  const servers = [...resolvConf.matchAll(/^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]);
  return [...new Set(servers.filter((server) => !server.startsWith('127.')))];
}

/** The network address of an IPv4 CIDR such as 192.0.2.2/24 (-> 192.0.2.0/24). */
export function subnetOf(cidr: string): string {
  const [address, bits] = cidr.split('/');
  const length = Number(bits);
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  const network = (value & mask) >>> 0;
  return `${[24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join('.')}/${length}`;
}

/**
 * The host firewall around build networks (iptables, IPv4 and IPv6). Each build network gets
 * chains of its own, jumped to first from INPUT and FORWARD for packets from its bridge, so no
 * rule of the engine's (which accepts a container's traffic) is seen before them. Needs root
 * (CAP_NET_ADMIN) on the engine's host; any failure is thrown, never ignored.
 */
@Injectable()
export class BuildFirewall {
  /** Installs or refreshes the rules of one build network. */
  async apply(plan: BuildFirewallPlan): Promise<void> {
    await this.restore('iptables-restore', buildFirewallRules(plan));
    await this.jumpFirst('iptables', plan.bridge);
    if (existsSync('/proc/net/if_inet6')) {
      await this.restore('ip6tables-restore', buildFirewallRules6(plan.bridge));
      await this.jumpFirst('ip6tables', plan.bridge);
    }
  }

  /** Removes a build network's rules (the network is gone). Missing rules are not an error. */
  async remove(bridge: string): Promise<void> {
    const { forward, input } = chainsOf(bridge);
    for (const tool of existsSync('/proc/net/if_inet6') ? ['iptables', 'ip6tables'] : ['iptables']) {
      for (const [builtin, chain] of [['FORWARD', forward], ['INPUT', input]]) {
        while (await this.run(tool, ['-w', '-D', builtin, '-i', bridge, '-j', chain]).then(() => true, () => false));
        await this.run(tool, ['-w', '-F', chain]).catch(() => undefined);
        await this.run(tool, ['-w', '-X', chain]).catch(() => undefined);
      }
    }
  }

  /** What the plan is built from on this host: its DNS servers and its own subnets. */
  async hostFacts(excludeBridge: string): Promise<Pick<BuildFirewallPlan, 'nameservers' | 'hostSubnets'>> {
    const files = ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf'];
    const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => '')));
    const nameservers = [...new Set(texts.flatMap(nameserversIn))];
    const hostSubnets = new Set<string>();
    for (const [name, addresses] of Object.entries(networkInterfaces())) {
      if (name === excludeBridge) continue;
      for (const address of addresses ?? []) {
        if (address.family === 'IPv4' && !address.internal && address.cidr) hostSubnets.add(subnetOf(address.cidr));
      }
    }
    return { nameservers, hostSubnets: [...hostSubnets].sort() };
  }

  /** Makes `-i bridge -j chain` the first rule of INPUT and FORWARD (the engine may have put its own above). */
  private async jumpFirst(tool: 'iptables' | 'ip6tables', bridge: string): Promise<void> {
    const chains = chainsOf(bridge);
    for (const [builtin, chain] of [['INPUT', chains.input], ['FORWARD', chains.forward]] as const) {
      const listed = (await this.run(tool, ['-w', '-S', builtin])).split('\n').filter((line) => line.startsWith('-A '));
      const ours = `-A ${builtin} -i ${bridge} -j ${chain}`;
      if (listed[0] === ours) continue;
      while (await this.run(tool, ['-w', '-D', builtin, '-i', bridge, '-j', chain]).then(() => true, () => false));
      await this.run(tool, ['-w', '-I', builtin, '1', '-i', bridge, '-j', chain]);
    }
  }

  private restore(tool: string, rules: string): Promise<string> {
    return this.run(tool, ['-w', '--noflush'], rules);
  }

  private run(tool: string, args: string[], stdin?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        binary(tool),
        args,
        { timeout: 30_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${tool} ${args.join(' ')}: ${(stderr || error.message).trim()}`)) : resolve(stdout)),
      );
      if (stdin !== undefined) child.stdin?.end(stdin);
    });
  }
}
