import { Injectable } from '@nestjs/common';
import { EnvironmentsService } from '@berth/tenant-apps';
import { Environment, Prisma, PrismaService } from '@berth/db';

export interface PushedApp {
  id: string;
  name: string;
  productionBranch: string;
}

/**
 * Branches are environments: the production branch deploys `production`; any other branch a
 * preview named after it, created at its first push with a copy of production's config at that
 * moment (later changes to either stay separate). Deleting the branch deletes its preview.
 */
@Injectable()
export class BranchEnvironments {
  constructor(
    private readonly db: PrismaService,
    private readonly environments: EnvironmentsService,
  ) {}

  /** The environment a branch deploys to, and whether this call created it. */
  async forBranch(app: PushedApp, branch: string): Promise<{ environment: Environment; created: boolean }> {
    if (branch === app.productionBranch) {
      const production = await this.db.environment.findFirst({ where: { appId: app.id, kind: 'production' } });
      if (production) return { environment: production, created: false };
    }
    for (let attempt = 0; ; attempt++) {
      const existing = await this.db.environment.findUnique({ where: { appId_branch: { appId: app.id, branch } } });
      if (existing) return { environment: existing, created: false };
      try {
        return { environment: await this.environments.createPreview(app, branch), created: true };
      } catch (error) {
        // Another push created it (same branch) or took the name (another branch) meanwhile.
        if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') || attempt >= 3) throw error;
      }
    }
  }

  /** Deletes the preview of a branch, then tells other libraries (containers, routes) with ENVIRONMENT_DELETED. */
  async removeBranch(app: PushedApp, branch: string): Promise<Environment | null> {
    const environment = await this.db.environment.findUnique({ where: { appId_branch: { appId: app.id, branch } } });
    if (!environment || environment.kind === 'production') return null;
    return (await this.remove(app, environment)) ? environment : null;
  }

  /** Deletes an environment the way the API does (only the call that deleted the row emits ENVIRONMENT_DELETED). */
  remove(app: PushedApp, environment: Environment): Promise<boolean> {
    return this.environments.remove(app, environment);
  }
}
