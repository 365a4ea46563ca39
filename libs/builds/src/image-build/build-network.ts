import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { BerthConfig } from '@berth/config';
import { ContainerEngine, ENGINE_LABELS } from '@berth/engine';
import { PIP_INDEX_ARG, PIP_TRUSTED_HOST_ARG } from '../buildpacks/python';
import { BuildFirewall } from './build-firewall';

const { network: NETWORK_LABEL, install: INSTALL_LABEL } = ENGINE_LABELS;

/**
 * Capabilities build steps do without (Podman's defaults already leave out NET_RAW, MKNOD and
 * AUDIT_WRITE; they are named again in case an engine's defaults grant them). Package installs
 * keep CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETUID, SETGID and SETFCAP.
 */
export const BUILD_DROPPED_CAPABILITIES = ['CAP_NET_RAW', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SYS_CHROOT', 'CAP_NET_BIND_SERVICE', 'CAP_SETPCAP'];

/**
 * How build steps reach a package index the operator runs on this host's loopback (BUILD_PIP_INDEX_URL
 * such as http://127.0.0.1:3141/simple/): a step's own loopback is its own, so it is given the
 * bridge's gateway instead, and the firewall lets it reach that address on that port only. Null
 * when the index is not on loopback (it is reached as configured, through the firewall's usual
 * rules) or the bridge has no IPv4 gateway.
 */
export function loopbackIndexRoute(indexUrl: string | undefined, gateway: string | null): { service: { address: string; port: number }; buildArgs: Record<string, string> } | null {
  if (!indexUrl || !gateway) return null;
  const url = new URL(indexUrl);
  if (url.hostname !== 'localhost' && !/^127\.\d+\.\d+\.\d+$/.test(url.hostname)) return null;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  url.hostname = gateway;
  return {
    service: { address: gateway, port },
    buildArgs: { [PIP_INDEX_ARG]: url.toString(), [PIP_TRUSTED_HOST_ARG]: url.protocol === 'http:' ? gateway : '' },
  };
}

const isNotFound = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;
const isConflict = (error: unknown) => (error as { statusCode?: number }).statusCode === 409;

/**
 * The network every build step of this install runs on: a bridge of its own, isolated from the
 * engine's other networks, behind host firewall rules (BuildFirewall) that refuse the host itself,
 * private ranges and published ports while letting the package registries through. A pushed
 * Dockerfile's RUN steps would otherwise run in the host's network namespace (Podman's default
 * for API builds) and reach the platform's Redis and PostgreSQL on 127.0.0.1. Fails closed: a
 * build whose network or firewall cannot be set up does not start.
 */
@Injectable()
export class BuildNetwork {
  private podman?: Promise<boolean>;
  /** Builds of this process prepare one after the other, so their rule updates never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Build arguments that route the steps to a loopback package index (loopbackIndexRoute), once known. */
  private buildArgs: Record<string, string> | null = null;

  constructor(
    private readonly engine: ContainerEngine,
    private readonly config: BerthConfig,
    private readonly firewall: BuildFirewall,
  ) {}

  get name(): string {
    return this.config.builds.network;
  }

  /** The bridge interface Berth gives a build network: named after it, at most 15 characters. */
  static bridgeFor(name: string): string {
    return `berthb${createHash('sha256').update(name).digest('hex').slice(0, 9)}`;
  }

  /**
   * Makes sure the network and its firewall rules are in place (they are refreshed on every
   * build: the engine or an operator may have rewritten the host's rules) and returns the build
   * API options that put the steps on it.
   */
  async prepare(): Promise<Record<string, string>> {
    const turn = this.queue.then(() => this.guard());
    this.queue = turn.catch(() => undefined);
    await turn;
    const args: Record<string, string> = this.buildArgs ? { buildargs: JSON.stringify(this.buildArgs) } : {};
    if (!(await this.isPodman())) return { networkmode: this.name, ...args };
    // Podman's build API ignores a network name in `networkmode`; a namespace option carries it.
    return {
      nsoptions: JSON.stringify([{ Name: 'network', Path: this.name }]),
      dropcaps: JSON.stringify(BUILD_DROPPED_CAPABILITIES),
      ...args,
    };
  }

  private async guard(): Promise<void> {
    try {
      const { bridge, gateway } = await this.ensure();
      const facts = await this.firewall.hostFacts(bridge);
      const index = loopbackIndexRoute(this.config.builds.pipIndexUrl, gateway);
      await this.firewall.apply({ bridge, allow: this.config.builds.networkAllow, ...facts, ...(index ? { hostServices: [index.service] } : {}) });
      this.buildArgs = index?.buildArgs ?? null;
    } catch (error) {
      throw new Error(
        `Build steps run on an isolated network (${this.name}) behind host firewall rules, and these could not be set up: ${(error as Error).message}. ` +
          'No build runs without them: run the builder as root (it needs CAP_NET_ADMIN) on the engine\'s host, with iptables installed (Debian package "iptables").',
      );
    }
  }

  /** Removes the network and its firewall rules (an install or test run going away). */
  async remove(): Promise<void> {
    const bridge = await this.bridgeOf().then(({ bridge }) => bridge, (error) => (isNotFound(error) ? null : Promise.reject(error)));
    if (bridge) await this.engine.api.getNetwork(this.name).remove().catch((error) => (isNotFound(error) ? undefined : Promise.reject(error)));
    await this.firewall.remove(bridge ?? BuildNetwork.bridgeFor(this.name));
  }

  /** The network's bridge and its IPv4 gateway, the network created first when missing. Builders of one install may race: both succeed. */
  private async ensure(): Promise<{ bridge: string; gateway: string | null }> {
    try {
      return await this.bridgeOf();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await this.create();
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    return this.bridgeOf();
  }

  private async bridgeOf(): Promise<{ bridge: string; gateway: string | null }> {
    const ipv4 = (address: string | undefined) => (address && /^\d+\.\d+\.\d+\.\d+$/.test(address) ? address : undefined);
    if (await this.isPodman()) {
      const network = await this.dial<{ driver?: string; network_interface?: string; subnets?: { gateway?: string }[] }>('GET', `/v4.0.0/libpod/networks/${encodeURIComponent(this.name)}/json`);
      if (network.driver !== 'bridge' || !network.network_interface) throw new Error(`the network ${this.name} exists but is not a bridge; remove it so the builder can make its own`);
      return { bridge: network.network_interface, gateway: (network.subnets ?? []).map((s) => ipv4(s.gateway)).find(Boolean) ?? null };
    }
    const network = (await this.engine.api.getNetwork(this.name).inspect()) as { Driver?: string; Options?: Record<string, string>; IPAM?: { Config?: { Gateway?: string }[] } };
    const bridge = network.Options?.['com.docker.network.bridge.name'];
    if (network.Driver !== 'bridge' || !bridge) throw new Error(`the network ${this.name} exists but is not a bridge Berth made; remove it so the builder can make its own`);
    return { bridge, gateway: (network.IPAM?.Config ?? []).map((c) => ipv4(c.Gateway)).find(Boolean) ?? null };
  }

  private async create(): Promise<void> {
    const bridge = BuildNetwork.bridgeFor(this.name);
    const labels = { [NETWORK_LABEL]: 'build', [INSTALL_LABEL]: this.config.installId };
    if (!(await this.isPodman())) {
      await this.engine.api.createNetwork({
        Name: this.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: labels,
        Options: { 'com.docker.network.bridge.name': bridge, 'com.docker.network.bridge.enable_icc': 'false' },
      });
      return;
    }
    // Through the libpod endpoint: the compatible one drops `isolate` and the interface name.
    // No DNS server on the bridge: steps use the host's resolvers, reached through the firewall.
    await this.dial('POST', '/v4.0.0/libpod/networks/create?', {
      name: this.name,
      driver: 'bridge',
      network_interface: bridge,
      dns_enabled: false,
      internal: false,
      options: { isolate: 'true' },
      labels,
    });
  }

  private isPodman(): Promise<boolean> {
    this.podman ??= this.engine.api.version().then((v) => (v.Components ?? []).some((c) => /podman/i.test(c.Name)));
    return this.podman;
  }

  private dial<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    return new Promise((resolve, reject) =>
      this.engine.api.modem.dial(
        {
          path,
          method,
          ...(body ? { options: body } : {}),
          statusCodes: { 200: true, 201: true, 404: 'no such network', 409: 'network already exists', 500: 'server error' },
        },
        (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as T)),
      ),
    );
  }
}
