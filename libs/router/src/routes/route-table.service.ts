import { Injectable, Logger } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Urls } from '@berth/apps';
import { environmentLabel } from '@berth/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { ROUTABLE_INSTANCE } from '@berth/contracts';
import { Backend, EnvironmentRoute } from './route-table';

/** Resolves host addresses to IPs (HAProxy's runtime API takes IPs only). */
@Injectable()
export class AddressResolver {
  async ip(address: string): Promise<string> {
    if (isIP(address)) return address;
    return (await lookup(address, { family: 4 })).address;
  }
}

/** Reads routes from the database. */
@Injectable()
export class RouteTableService {
  private readonly logger = new Logger('Routes');

  constructor(
    private readonly db: PrismaService,
    private readonly urls: Urls,
    private readonly config: BerthConfig,
    private readonly resolver: AddressResolver,
  ) {}

  /**
   * The environment a Berth name or custom domain belongs to, straight from the database:
   * `<app>.<domain>` is production, `<env>--<app>.<domain>` another environment.
   */
  async findByHostname(hostname: string): Promise<string | null> {
    const suffix = `.${this.config.router.domain}`;
    const label = hostname.endsWith(suffix) ? hostname.slice(0, -suffix.length) : null;
    const named = label === null ? null : environmentLabel.parse(label);
    if (named) {
      const { envName, appName } = named;
      const env = await this.db.environment.findFirst({ where: { name: envName, app: { name: appName } }, select: { id: true } });
      if (env) return env.id;
    }
    const domain = await this.db.domain.findUnique({ where: { hostname }, select: { environmentId: true } });
    return domain?.environmentId ?? null;
  }

  /**
   * Routes of the given environments (all when `ids` is omitted); deleted ones are simply
   * absent. Backends are the routable instances (the runtime's contract, ROUTABLE_INSTANCE)
   * of the environment's current release, its newest active one; the runtime publishes on the
   * routes channel whenever that set changes.
   */
  async load(ids?: string[]): Promise<EnvironmentRoute[]> {
    const rows = await this.db.environment.findMany({
      where: ids ? { id: { in: ids } } : {},
      select: {
        id: true,
        name: true,
        kind: true,
        app: { select: { name: true } },
        domains: { select: { hostname: true }, orderBy: { hostname: 'asc' } },
        releases: {
          where: { status: 'active' },
          orderBy: { version: 'desc' },
          take: 1,
          select: { instances: { where: ROUTABLE_INSTANCE, select: { id: true, processType: true, index: true, hostPort: true, host: { select: { address: true } } } } },
        },
      },
    });
    return Promise.all(
      rows.map(async (row) => {
        const production = row.kind === 'production';
        const backends: Backend[] = [];
        for (const instance of row.releases[0]?.instances ?? []) {
          try {
            const address = await this.resolver.ip(instance.host!.address);
            backends.push({ key: `${address}:${instance.hostPort}`, address, port: instance.hostPort!, instanceId: instance.id, name: `${instance.processType}.${instance.index}` });
          } catch (error) {
            this.logger.warn(`instance ${instance.id}: cannot resolve host address "${instance.host!.address}": ${(error as Error).message}`);
          }
        }
        backends.sort((a, b) => a.key.localeCompare(b.key));
        return {
          id: row.id,
          appName: row.app.name,
          envName: row.name,
          production,
          hostnames: [this.urls.hostname(row.app.name, row.name, production), ...row.domains.map((d) => d.hostname)],
          backends,
        };
      }),
    );
  }
}
