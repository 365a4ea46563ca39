import { Injectable, Logger } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Urls } from '@berth/tenant-apps';
import { environmentLabel } from '@berth/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { ROUTABLE_INSTANCE } from '@berth/contracts';
import { Backend, EnvironmentRoute, withHandovers } from './route-table';

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
   * routes channel whenever that set changes. An instance moved off a lost host while it still
   * answered is also routed at its previous endpoint until it is routable at its new place.
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
          select: {
            instances: { where: ROUTABLE_INSTANCE, select: { id: true, processType: true, index: true, hostPort: true, host: { select: { address: true } } } },
            id: true,
          },
        },
      },
    });
    // Instances moved off a lost host while they still answered, not routable at their new place yet (see withHandovers).
    const releaseIds = rows.flatMap((row) => row.releases.map((r) => r.id));
    const handovers = releaseIds.length
      ? await this.db.instance.findMany({
          where: { releaseId: { in: releaseIds }, processType: 'web', desiredState: 'running', previousAddress: { not: null }, previousPort: { not: null } },
          select: { id: true, releaseId: true, processType: true, index: true, previousAddress: true, previousPort: true },
        })
      : [];
    return Promise.all(
      rows.map(async (row) => {
        const production = row.kind === 'production';
        const release = row.releases[0];
        const endpoints = [
          ...(release?.instances ?? []).map((i) => ({ id: i.id, name: `${i.processType}.${i.index}`, address: i.host!.address, port: i.hostPort! })),
          ...handovers.filter((h) => h.releaseId === release?.id).map((h) => ({ id: h.id, name: `${h.processType}.${h.index}`, address: h.previousAddress!, port: h.previousPort!, previous: true })),
        ];
        const backends: Backend[] = [];
        const previous: Backend[] = [];
        for (const endpoint of endpoints) {
          try {
            const address = await this.resolver.ip(endpoint.address);
            const backend = { key: `${address}:${endpoint.port}`, address, port: endpoint.port, instanceId: endpoint.id, name: endpoint.name };
            ('previous' in endpoint ? previous : backends).push(backend);
          } catch (error) {
            this.logger.warn(`instance ${endpoint.id}: cannot resolve host address "${endpoint.address}": ${(error as Error).message}`);
          }
        }
        return {
          id: row.id,
          appName: row.app.name,
          envName: row.name,
          production,
          hostnames: [this.urls.hostname(row.app.name, row.name, production), ...row.domains.map((d) => d.hostname)],
          backends: withHandovers(backends, previous),
        };
      }),
    );
  }
}
