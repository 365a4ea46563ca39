import { Injectable } from '@nestjs/common';
import { PrismaService } from '@berth/db';
import { AppAccess } from '../app-access.service';
import { Urls } from '../urls';

/** An app's environments: production and one per preview branch. */
@Injectable()
export class EnvironmentsService {
  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
    private readonly urls: Urls,
  ) {}

  present(appName: string, env: { id: string; name: string; kind: 'production' | 'preview'; branch: string; createdAt: Date; expiresAt: Date | null }) {
    return {
      id: env.id,
      name: env.name,
      kind: env.kind,
      branch: env.branch,
      url: this.urls.environmentUrl(appName, env.name, env.kind === 'production'),
      createdAt: env.createdAt,
      expiresAt: env.expiresAt,
    };
  }

  async list(userId: string, appName: string) {
    const app = await this.access.app(userId, appName);
    const rows = await this.db.environment.findMany({ where: { appId: app.id }, orderBy: [{ kind: 'asc' }, { name: 'asc' }] });
    return rows.map((env) => this.present(app.name, env));
  }

  async get(userId: string, appName: string, envName: string) {
    const { app, environment } = await this.access.environment(userId, appName, envName);
    return this.present(app.name, environment);
  }
}
