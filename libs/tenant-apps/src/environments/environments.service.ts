import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BerthConfig } from '@berth/config';
import { badRequest, Clock, environmentSlug } from '@berth/common';
import { Environment, PrismaService } from '@berth/db';
import { AppAccess } from '../app-access.service';
import { ConfigVarsService } from '../config-vars/config-vars.service';
import { ENVIRONMENT_DELETED, EnvironmentDeletedEvent } from '../events';
import { Urls } from '../urls';
import { EnvironmentStatusService } from './environment-status.service';

const HOUR_MS = 3600_000;

/**
 * An app's environments: production and one per preview branch. Previews can be deleted and
 * given a time to live; deleting one emits ENVIRONMENT_DELETED (the runtime stops its
 * instances, routers drop its routes).
 */
@Injectable()
export class EnvironmentsService {
  private readonly logger = new Logger('Environments');

  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
    private readonly urls: Urls,
    private readonly statuses: EnvironmentStatusService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    private readonly configVars: ConfigVarsService,
  ) {}

  /**
   * Creates the preview of a branch, named after it (a free name), with a copy of production's
   * config at that moment (later changes to either stay separate). Throws Prisma's P2002 when
   * another push created it or took the name meanwhile.
   */
  createPreview(app: { id: string; name: string }, branch: string): Promise<Environment> {
    return this.db.$transaction(async (tx) => {
      const taken = new Set((await tx.environment.findMany({ where: { appId: app.id }, select: { name: true } })).map((e) => e.name));
      const environment = await tx.environment.create({
        data: {
          appId: app.id,
          name: environmentSlug(branch, app.name, taken),
          kind: 'preview',
          branch,
          expiresAt: this.defaultPreviewExpiresAt(),
          sleepAfterMinutes: this.defaultSleepAfterMinutes('preview'),
        },
      });
      const production = await tx.environment.findFirst({ where: { appId: app.id, kind: 'production' }, select: { id: true } });
      if (production) await this.configVars.copy(production.id, environment.id, tx);
      return environment;
    });
  }

  present(
    appName: string,
    env: { id: string; name: string; kind: 'production' | 'preview'; branch: string; createdAt: Date; expiresAt: Date | null; sleepAfterMinutes: number | null; sleepingSince: Date | null; lastRequestAt: Date | null },
  ) {
    return {
      id: env.id,
      name: env.name,
      kind: env.kind,
      branch: env.branch,
      url: this.urls.environmentUrl(appName, env.name, env.kind === 'production'),
      createdAt: env.createdAt,
      expiresAt: env.expiresAt,
      sleepAfterMinutes: env.sleepAfterMinutes,
      sleepingSince: env.sleepingSince,
      lastRequestAt: env.lastRequestAt,
    };
  }

  async list(userId: string, appName: string) {
    const app = await this.access.app(userId, appName);
    const rows = await this.db.environment.findMany({ where: { appId: app.id }, orderBy: [{ kind: 'asc' }, { name: 'asc' }] });
    return rows.map((env) => this.present(app.name, env));
  }

  /** One environment with its `status`: whether it serves traffic and, if not, why. */
  async get(userId: string, appName: string, envName: string, email?: string) {
    const { app, environment } = await this.access.environment(userId, appName, envName);
    return { ...this.present(app.name, environment), status: await this.statuses.status(environment.id, this.statuses.audienceOf(email)) };
  }

  /** When a preview created now expires by default (PREVIEW_TTL_HOURS), or null. For whoever creates previews. */
  defaultPreviewExpiresAt(now: Date = this.clock.now()): Date | null {
    const hours = this.config.router.previewTtlHours;
    return hours > 0 ? new Date(now.getTime() + hours * HOUR_MS) : null;
  }

  /** Sleeps after this many minutes without a request by default: PREVIEW_SLEEP_AFTER_MINUTES for previews, never for production. */
  defaultSleepAfterMinutes(kind: 'production' | 'preview'): number | null {
    return kind === 'preview' ? this.config.sleep.previewSleepAfterMinutes : null;
  }

  /**
   * Sets a preview's time to live and/or when the environment sleeps. A new sleepAfterMinutes
   * applies from the next check; null leaves a sleeping environment asleep until its next request.
   */
  async update(userId: string, appName: string, envName: string, change: { ttlHours?: number | null; sleepAfterMinutes?: number | null }) {
    const { app, environment } = await this.access.environment(userId, appName, envName, 'member');
    if (change.ttlHours === undefined && change.sleepAfterMinutes === undefined) {
      throw badRequest('nothing_to_change', 'Send "ttlHours" (hours, or null) and/or "sleepAfterMinutes" (minutes, or null).');
    }
    if (change.ttlHours !== undefined && environment.kind === 'production') {
      throw badRequest('production_has_no_ttl', 'Production stays until its app is deleted; only preview environments can have a time to live.');
    }
    const data: { expiresAt?: Date | null; sleepAfterMinutes?: number | null } = {};
    if (change.ttlHours !== undefined) data.expiresAt = change.ttlHours === null ? null : new Date(this.clock.now().getTime() + change.ttlHours * HOUR_MS);
    if (change.sleepAfterMinutes !== undefined) data.sleepAfterMinutes = change.sleepAfterMinutes;
    const updated = await this.db.environment.update({ where: { id: environment.id, appId: app.id }, data });
    return this.present(app.name, updated);
  }

  /** Deletes a preview environment (member role: members push the branches that create them). */
  async delete(userId: string, appName: string, envName: string): Promise<void> {
    const { app, environment } = await this.access.environment(userId, appName, envName, 'member');
    if (environment.kind === 'production') {
      throw badRequest('cannot_delete_production', `Production is deleted with its app: DELETE /api/apps/${app.name} (admin role).`);
    }
    await this.remove(app, environment);
  }

  /**
   * Removes an environment and everything under it, then emits ENVIRONMENT_DELETED. Safe to
   * call twice (or from two processes): only the call that deleted the row emits.
   */
  async remove(app: { id: string; name: string }, environment: { id: string; name: string }): Promise<boolean> {
    const { count } = await this.db.environment.deleteMany({ where: { id: environment.id, appId: app.id } });
    if (count === 0) return false;
    const event: EnvironmentDeletedEvent = { appId: app.id, appName: app.name, environmentId: environment.id, environmentName: environment.name };
    await this.events.emitAsync(ENVIRONMENT_DELETED, event);
    return true;
  }

  /** Removes previews whose time to live has run out; returns how many. */
  async removeExpiredPreviews(now: Date = this.clock.now()): Promise<number> {
    const expired = await this.db.environment.findMany({
      where: { kind: 'preview', expiresAt: { lte: now } },
      select: { id: true, name: true, app: { select: { id: true, name: true } } },
    });
    let removed = 0;
    for (const env of expired) {
      if (await this.remove(env.app, env)) {
        removed++;
        this.logger.log(`removed preview ${env.name} of ${env.app.name}: its time to live ran out`);
      }
    }
    return removed;
  }
}
