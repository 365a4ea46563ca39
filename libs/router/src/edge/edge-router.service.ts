import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { join } from 'node:path';
import { BerthConfig } from '@berth/config';
import { RedisService } from '@berth/redis';
import { RouteChanges } from '../routes/route-changes';
import { buildRouteTable, emptyRouteTable, EnvironmentRoute, patchRouteTable, RouteTable } from '../routes/route-table';
import { RouteTableService } from '../routes/route-table.service';
import { AccessLog } from './access-log.service';
import { haproxyFiles, HaproxyOptions, HaproxyState, initialState, paths, planRoutes, runtimeApiRefusals, withMapPath } from './haproxy-config';
import { HaproxyProcess } from './haproxy.process';
import { StatusServer } from './status-server';

/**
 * The edge router: keeps HAProxy serving the route table. Changes arrive as RouteChanges
 * notifications (one environment re-read) and a periodic full re-read; they are applied one
 * at a time, through HAProxy's runtime API when only instances or hostnames changed, by a
 * seamless reload when environments appeared or disappeared.
 */
@Injectable()
export class EdgeRouter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Router');
  private table: RouteTable = emptyRouteTable();
  private state: HaproxyState | null = null;
  private pending = new Set<string>();
  private pendingAll = false;
  private loop: Promise<void> | null = null;
  private subscriber: Redis | null = null;
  private poll: NodeJS.Timeout | null = null;
  private closed = false;
  /** Hostnames recently looked up and not found, until when. */
  private readonly misses = new Map<string, number>();
  /** Where HAProxy sends access lines (AccessLog listens there). */
  private accessLogAddress?: { address: string; port: number };

  constructor(
    private readonly config: BerthConfig,
    private readonly routes: RouteTableService,
    private readonly changes: RouteChanges,
    private readonly redis: RedisService,
    private readonly haproxy: HaproxyProcess,
    private readonly statusServer: StatusServer,
    private readonly accessLog: AccessLog,
  ) {}

  /** One directory per router port, so several routers (tests) can share a data directory. */
  get dir(): string {
    return join(this.config.dataDir, 'router', String(this.config.router.port));
  }

  /** The environment a hostname reaches, as the router knows it now. */
  route(host: string): EnvironmentRoute | undefined {
    const id = this.table.hosts.get(host);
    return id === undefined ? undefined : this.table.environments.get(id);
  }

  /**
   * Like route(), but a Berth name the table does not know yet (an app or preview created
   * since the last refresh, before anything was deployed) is looked up in the database, so
   * its page says "not deployed yet" or "building" rather than 404. Misses are remembered
   * briefly so a flood of unknown names costs few queries.
   */
  async resolve(host: string): Promise<EnvironmentRoute | undefined> {
    const known = this.route(host);
    if (known) return known;
    const now = Date.now();
    if ((this.misses.get(host) ?? 0) > now) return undefined;
    const id = await this.routes.findByHostname(host);
    if (!id) {
      if (this.misses.size > 10_000) this.misses.clear();
      this.misses.set(host, now + 2000);
      return undefined;
    }
    await this.refresh(id);
    return this.route(host);
  }

  /** The instance a server slot of an environment's backend serves now, e.g. web.1 (null when empty or unknown). */
  instanceAt(environmentId: string, server: string): string | null {
    const key = this.state?.backends.get(environmentId)?.slots.find((slot) => slot.name === server)?.key;
    if (!key) return null;
    return this.table.environments.get(environmentId)?.backends.find((b) => b.key === key)?.name ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { host, port } = this.config.router;
    this.accessLogAddress = await this.accessLog.start((environmentId, server) => this.instanceAt(environmentId, server));
    await this.statusServer.start(paths(this.dir).statusSocket, (h) => this.resolve(h));
    this.subscriber = this.redis.subscriber();
    this.subscriber.on('message', (_channel: string, message: string) => this.refresh(message));
    await this.subscriber.subscribe(this.changes.channel);
    this.table = buildRouteTable(await this.routes.load());
    const state = initialState(this.table);
    this.haproxy.onUnexpectedExit = (code) => this.restartAfterCrash(code);
    const { adopted } = await this.haproxy.start(this.dir, this.files(state));
    this.state = state;
    this.poll = setInterval(() => this.refresh(), this.config.router.pollSeconds * 1000);
    this.poll.unref();
    this.logger.log(`routing http://${host}:${port} for ${this.table.environments.size} environments (HAProxy${adopted ? ' adopted from the previous router' : ''}, files in ${this.dir})`);
  }

  /** Re-reads one environment's routes, or all of them; resolves once HAProxy serves the result. */
  refresh(environmentId?: string): Promise<void> {
    if (environmentId && /^[0-9a-f-]{36}$/i.test(environmentId)) this.pending.add(environmentId);
    else this.pendingAll = true;
    if (!this.loop) {
      this.loop = this.drain().finally(() => (this.loop = null));
    }
    return this.loop;
  }

  private async drain(): Promise<void> {
    while (!this.closed && (this.pendingAll || this.pending.size > 0)) {
      const all = this.pendingAll;
      const ids = [...this.pending];
      this.pendingAll = false;
      this.pending.clear();
      try {
        const fresh = await this.routes.load(all ? undefined : ids);
        await this.apply(all ? buildRouteTable(fresh) : patchRouteTable(this.table, ids, fresh));
      } catch (error) {
        // The next notification or poll tries again.
        this.logger.error(`could not apply route changes: ${(error as Error).message}`);
      }
    }
  }

  private async apply(next: RouteTable): Promise<void> {
    if (this.closed || !this.haproxy.running) {
      this.table = next;
      return;
    }
    const plan = planRoutes(this.state, next);
    this.table = next; // the status pages know new hosts before HAProxy sends them there
    if (plan.reload) {
      await this.haproxy.reload(this.files(plan.state));
      this.logger.log(`reloaded HAProxy: ${next.environments.size} environments`);
    } else if (plan.commands.length > 0) {
      const refused = runtimeApiRefusals(await this.haproxy.command(withMapPath(plan.commands, this.dir)));
      if (refused.length > 0) {
        this.logger.warn(`HAProxy refused a change (${refused[0]}); reloading with the full configuration`);
        await this.haproxy.reload(this.files(plan.state));
      }
    }
    this.state = plan.state;
  }

  private files(state: HaproxyState): Record<string, string> {
    return haproxyFiles(this.options(), state);
  }

  private options(): HaproxyOptions {
    const r = this.config.router;
    return {
      dir: this.dir,
      host: r.host,
      port: r.port,
      connectTimeoutSeconds: r.connectTimeoutSeconds,
      responseTimeoutSeconds: r.responseTimeoutSeconds,
      idleTimeoutSeconds: r.idleTimeoutSeconds,
      websocketTimeoutSeconds: r.websocketTimeoutSeconds,
      maxBodyBytes: r.maxBodyBytes,
      forwardedProto: r.publicScheme,
      maxConnections: r.maxConnections,
      threads: r.threads,
      accessLog: this.accessLogAddress,
    };
  }

  private restartAfterCrash(code: number | null): void {
    if (this.closed) return;
    this.logger.error(`HAProxy exited unexpectedly${code === null ? '' : ` (code ${code})`}; restarting it in 1 s`);
    setTimeout(() => {
      if (this.closed) return;
      const state = initialState(this.table);
      this.haproxy
        .start(this.dir, this.files(state))
        .then(() => (this.state = state))
        .catch((error) => {
          this.logger.error(`HAProxy did not restart: ${(error as Error).message}`);
          this.restartAfterCrash(null);
        });
    }, 1000).unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    await this.loop?.catch(() => undefined);
    this.subscriber?.disconnect();
    await this.haproxy.stop();
    await this.statusServer.stop();
  }
}
