import { Injectable } from '@nestjs/common';
import { hasRole } from '@berth/accounts';
import { forbidden, notFound } from '@berth/common';
import { App, Environment, PrismaService, Role, Team } from '@berth/db';

export type AppWithTeam = App & { team: Team };

export const appNotFound = (name: string) =>
  notFound('app_not_found', `There is no app named "${name}" that you can see. List your apps with GET /api/apps.`);

/**
 * Resolves an app by name for a user. The membership is part of the query, so an app of
 * another team is indistinguishable from one that does not exist (404).
 */
@Injectable()
export class AppAccess {
  constructor(private readonly db: PrismaService) {}

  async app(userId: string, appName: string, needed: Role = 'viewer'): Promise<AppWithTeam & { role: Role }> {
    const app = await this.db.app.findFirst({
      where: { name: appName, team: { memberships: { some: { userId } } } },
      include: { team: { include: { memberships: { where: { userId }, select: { role: true } } } } },
    });
    if (!app) throw appNotFound(appName);
    const role = app.team.memberships[0].role;
    if (!hasRole(role, needed)) {
      throw forbidden('role_too_low', `This needs the ${needed} role on team "${app.team.name}"; you are ${role}. Ask a team owner or admin.`);
    }
    const { memberships: _memberships, ...team } = app.team;
    return { ...app, team, role };
  }

  async environment(userId: string, appName: string, envName: string, needed: Role = 'viewer') {
    const app = await this.app(userId, appName, needed);
    const environment = await this.db.environment.findUnique({ where: { appId_name: { appId: app.id, name: envName } } });
    if (!environment) {
      throw notFound('environment_not_found', `App "${appName}" has no environment named "${envName}". List them with GET /api/apps/${appName}/environments.`);
    }
    return { app, environment: environment as Environment };
  }
}
