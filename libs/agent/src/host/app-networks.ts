import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { ContainerEngine, ENGINE_LABELS } from '@berth/engine';

export const NETWORK_LABEL = ENGINE_LABELS.network;
const APP_ID_LABEL = 'berth.app.id';
const INSTALL_LABEL = ENGINE_LABELS.install;

const isConflict = (error: unknown) => [409, 500].includes((error as { statusCode?: number }).statusCode ?? 0) && /exist|in use/i.test(String((error as { json?: { message?: string } }).json?.message ?? (error as Error).message));
const isNotFound = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;

/**
 * One bridge network per app, isolated from every other network, so a tenant's containers
 * reach each other but no other tenant's (and never by the engine's default network). Podman
 * isolates a bridge only when created with its `isolate` option, which its Docker-compatible
 * endpoint drops, so on Podman the network is made through the libpod endpoint; Docker
 * isolates user-defined bridges from each other by default.
 */
@Injectable()
export class AppNetworks {
  private readonly logger = new Logger(AppNetworks.name);
  private readonly known = new Set<string>();
  private podman?: Promise<boolean>;

  constructor(
    private readonly engine: ContainerEngine,
    private readonly config: BerthConfig,
  ) {}

  nameOf(appId: string): string {
    return `berth-app-${appId}`;
  }

  /** The app's network, created on first use. Agents sharing an engine may race: both succeed. */
  async ensure(app: { id: string; name: string }): Promise<string> {
    const name = this.nameOf(app.id);
    if (this.known.has(name)) return name;
    if (!(await this.exists(name))) {
      try {
        await this.create(name, { [NETWORK_LABEL]: 'app', [APP_ID_LABEL]: app.id, 'berth.app': app.name, [INSTALL_LABEL]: this.config.installId });
      } catch (createError) {
        if (!isConflict(createError)) throw createError;
      }
    }
    this.known.add(name);
    return name;
  }

  /** Forgets a network this process thought existed (a container create said it does not). */
  forget(name: string): void {
    this.known.delete(name);
  }

  /**
   * Removes this install's networks of apps that no longer exist; one still in use is left for
   * next time. Networks of other installs sharing the engine are never touched. The apps are
   * looked up after the networks are listed: read before, an app created in between looked
   * deleted, and its network (made by another agent, its first container not yet on it) was
   * removed under that container's create.
   */
  async prune(existing: (appIds: string[]) => Promise<ReadonlySet<string>>): Promise<void> {
    const networks = await this.list([`${NETWORK_LABEL}=app`, `${INSTALL_LABEL}=${this.config.installId}`]);
    const appIds = networks.flatMap((network) => network.Labels?.[APP_ID_LABEL] ?? []);
    const live = appIds.length ? await existing(appIds) : new Set<string>();
    for (const network of networks) {
      const appId = network.Labels?.[APP_ID_LABEL];
      if (!appId || live.has(appId)) continue;
      try {
        await this.engine.api.getNetwork(network.Name).remove();
        this.known.delete(network.Name);
      } catch (error) {
        if (!isNotFound(error)) this.logger.debug(`network ${network.Name} not removed yet: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Whether the network exists. On Podman through the libpod endpoint: the Docker-compatible
   * inspect lists the network's containers, reading every container on the engine to find them
   * (1.3 s against 0.4 s at 900 containers, most of them sleepers').
   */
  private async exists(name: string): Promise<boolean> {
    if (await this.isPodman()) {
      return this.libpod<unknown>(`/v4.0.0/libpod/networks/${encodeURIComponent(name)}/exists`, { 204: true, 404: 'no such network' })
        .then(() => true)
        .catch((error: unknown) => {
          if (isNotFound(error)) return false;
          throw error;
        });
    }
    try {
      await this.engine.api.getNetwork(name).inspect();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * This engine's networks with all these labels (`key=value` each), by name. On Podman through the libpod
   * endpoint: the Docker-compatible list reads every container on the engine for each network
   * (31.7 s against 29 ms for 20 networks and 900 containers on this host).
   */
  private async list(labels: string[]): Promise<{ Name: string; Labels?: Record<string, string> }[]> {
    if (!(await this.isPodman())) return this.engine.api.listNetworks({ filters: { label: labels } });
    const filters = encodeURIComponent(JSON.stringify({ label: labels }));
    const networks = await this.libpod<{ name: string; labels?: Record<string, string> }[]>(`/v4.0.0/libpod/networks/json?filters=${filters}`, { 200: true });
    // Podman's libpod endpoint ORs several label filters: every one must hold (another install's networks never match).
    const wanted = labels.map((label) => label.split('='));
    return (networks ?? []).filter((n) => wanted.every(([key, value]) => n.labels?.[key] === value)).map((n) => ({ Name: n.name, Labels: n.labels }));
  }

  private libpod<T>(path: string, statusCodes: Record<number, true | string>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.engine.api.modem.dial({ path, method: 'GET', statusCodes: { 500: 'server error', ...statusCodes } }, (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as T))),
    );
  }

  private isPodman(): Promise<boolean> {
    this.podman ??= this.engine.api.version().then((v) => (v.Components ?? []).some((c) => /podman/i.test(c.Name)));
    return this.podman;
  }

  private async create(name: string, labels: Record<string, string>): Promise<void> {
    if (!(await this.isPodman())) {
      await this.engine.api.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
      return;
    }
    await new Promise<void>((resolve, reject) =>
      this.engine.api.modem.dial(
        {
          path: '/v4.0.0/libpod/networks/create?',
          method: 'POST',
          options: { name, driver: 'bridge', options: { isolate: 'true' }, labels },
          statusCodes: { 200: true, 201: true, 409: 'network already exists', 500: 'server error' },
        },
        (error: unknown) => (error ? reject(error) : resolve()),
      ),
    );
  }
}
