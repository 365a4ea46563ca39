import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { TeamsService } from '@berth/accounts';
import { appNameProblem, conflict, invalidInput, notFound } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { AppAccess } from '../app-access.service';
import { APP_DELETED, AppDeletedEvent } from '../events';
import { Urls } from '../urls';
import { branchProblem } from '../branches';
import { EnvironmentStatusService } from '../environments/environment-status.service';
import type { EnvironmentStatus } from '../environments/environment-status.types';

/** One page of the apps list: each app with its production status and how many previews it has. */
export interface AppsPage {
  apps: (ReturnType<AppsService['present']> & { previews: number; status: EnvironmentStatus | null })[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** Apps: created with their production environment, listed and deleted within the caller's teams. */
@Injectable()
export class AppsService {
  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
    private readonly teams: TeamsService,
    private readonly urls: Urls,
    private readonly events: EventEmitter2,
    private readonly statuses: EnvironmentStatusService,
  ) {}

  present(app: { id: string; name: string; productionBranch: string; createdAt: Date; team: { id: string; name: string } }) {
    return {
      id: app.id,
      name: app.name,
      team: { id: app.team.id, name: app.team.name },
      productionBranch: app.productionBranch,
      gitUrl: this.urls.gitUrl(app.name),
      url: this.urls.environmentUrl(app.name, 'production', true),
      createdAt: app.createdAt,
    };
  }

  async create(userId: string, input: { name: string; team?: string; productionBranch?: string }) {
    const fields: Record<string, string> = {};
    const nameProblem = appNameProblem(input.name);
    if (nameProblem) fields.name = nameProblem;
    const branch = input.productionBranch ?? 'main';
    const problem = branchProblem(branch);
    if (problem) fields.productionBranch = problem;
    if (Object.keys(fields).length) throw invalidInput(fields);

    const membership = input.team
      ? await this.teams.membership(userId, input.team, 'member')
      : await this.db.membership.findFirst({ where: { userId, team: { personal: true } }, include: { team: true } });
    if (!membership) throw notFound('team_not_found', 'You have no personal team; name a team with "team".');

    try {
      const app = await this.db.app.create({
        data: {
          name: input.name,
          teamId: membership.teamId,
          productionBranch: branch,
          environments: { create: { name: 'production', kind: 'production', branch } },
        },
        include: { team: true },
      });
      return this.present(app);
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw conflict('app_name_taken', `The name "${input.name}" is taken; app names are unique across Berth. Choose another.`);
      }
      throw error;
    }
  }

  async list(userId: string) {
    const apps = await this.db.app.findMany({
      where: { team: { memberships: { some: { userId } } } },
      include: { team: true },
      orderBy: { name: 'asc' },
    });
    return apps.map((app) => this.present(app));
  }

  /**
   * A page of the apps list, by name: `limit` apps after the one named `cursor`, each with its
   * production status, in a fixed number of queries whatever the page size (the dashboard showed
   * one app card per app and asked for each card's status separately).
   */
  async page(userId: string, options: { limit: number; cursor?: string }): Promise<AppsPage> {
    const rows = await this.db.app.findMany({
      where: { team: { memberships: { some: { userId } } }, ...(options.cursor ? { name: { gt: options.cursor } } : {}) },
      include: { team: true, environments: { select: { id: true, kind: true } } },
      orderBy: { name: 'asc' },
      take: options.limit + 1,
    });
    const page = rows.slice(0, options.limit);
    const production = new Map(page.map((app) => [app.id, app.environments.find((e) => e.kind === 'production')?.id]));
    const statuses = await this.statuses.statuses([...production.values()].filter((id): id is string => id !== undefined));
    return {
      apps: page.map((app) => ({
        ...this.present(app),
        previews: app.environments.filter((e) => e.kind === 'preview').length,
        status: statuses.get(production.get(app.id) ?? '') ?? null,
      })),
      nextCursor: rows.length > options.limit ? page[page.length - 1].name : null,
    };
  }

  async get(userId: string, name: string) {
    const app = await this.access.app(userId, name);
    const environments = await this.db.environment.findMany({ where: { appId: app.id }, orderBy: [{ kind: 'asc' }, { name: 'asc' }] });
    return {
      ...this.present(app),
      role: app.role,
      environments: environments.map((e) => ({ name: e.name, kind: e.kind, branch: e.branch, url: this.urls.environmentUrl(app.name, e.name, e.kind === 'production') })),
    };
  }

  async delete(userId: string, name: string): Promise<void> {
    const app = await this.access.app(userId, name, 'admin');
    const environments = await this.db.environment.findMany({ where: { appId: app.id }, select: { id: true, name: true } });
    await this.db.app.delete({ where: { id: app.id } });
    const event: AppDeletedEvent = { appId: app.id, appName: app.name, environmentIds: environments.map((e) => e.id) };
    await this.events.emitAsync(APP_DELETED, event);
  }
}
