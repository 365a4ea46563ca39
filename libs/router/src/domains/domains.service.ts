import { Injectable } from '@nestjs/common';
import { AppAccess } from '@berth/tenant-apps';
import { BerthConfig } from '@berth/config';
import { conflict, invalidInput, notFound } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { RouteChanges } from '../routes/route-changes';
import { hostnameProblem, normalizeHostname } from './hostnames';

/** Custom domains of environments: unique across Berth; viewers list them, members change them. */
@Injectable()
export class DomainsService {
  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
    private readonly config: BerthConfig,
    private readonly changes: RouteChanges,
  ) {}

  private present(domain: { hostname: string; createdAt: Date }) {
    const { publicScheme, publicPort } = this.config.router;
    const port = publicPort === (publicScheme === 'https' ? 443 : 80) ? '' : `:${publicPort}`;
    return { hostname: domain.hostname, url: `${publicScheme}://${domain.hostname}${port}`, createdAt: domain.createdAt };
  }

  async list(userId: string, appName: string, envName: string) {
    const { environment } = await this.access.environment(userId, appName, envName);
    const rows = await this.db.domain.findMany({ where: { environmentId: environment.id }, orderBy: { hostname: 'asc' } });
    return rows.map((row) => this.present(row));
  }

  async add(userId: string, appName: string, envName: string, input: string) {
    const hostname = normalizeHostname(input);
    const { app, environment } = await this.access.environment(userId, appName, envName, 'member');
    const problem = hostnameProblem(hostname, this.config.router.domain, app.name);
    if (problem) throw invalidInput({ hostname: problem });
    try {
      const row = await this.db.domain.create({ data: { hostname, environmentId: environment.id } });
      await this.changes.environmentChanged(environment.id);
      return this.present(row);
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw conflict('domain_taken', `${hostname} already points at an environment on Berth. Remove it there first, or choose another name.`);
      }
      throw error;
    }
  }

  async remove(userId: string, appName: string, envName: string, input: string): Promise<void> {
    const hostname = normalizeHostname(input);
    const { environment } = await this.access.environment(userId, appName, envName, 'member');
    const { count } = await this.db.domain.deleteMany({ where: { hostname, environmentId: environment.id } });
    if (count === 0) {
      throw notFound('domain_not_found', `${hostname} is not a domain of ${appName}/${envName}. List them with GET /api/apps/${appName}/environments/${envName}/domains.`);
    }
    await this.changes.environmentChanged(environment.id);
  }
}
