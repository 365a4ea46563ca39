import { Injectable } from '@nestjs/common';
import { AppAccess } from '@berth/tenant-apps';
import { conflict, invalidInput, notFound } from '@berth/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { LogStore } from '../log-store';
import { drainUrlProblem, maskedUrl } from './drain-address';
import { DrainRefused, DrainTransport } from './drain-transport';

interface DrainRow {
  id: string;
  url: string;
  failures: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastDeliveredAt: Date | null;
  createdAt: Date;
}

/** A drain as the API shows it: a password in its URL is masked. */
export function drainJson(drain: DrainRow) {
  return {
    id: drain.id,
    url: maskedUrl(drain.url),
    createdAt: drain.createdAt.toISOString(),
    lastDeliveredAt: drain.lastDeliveredAt?.toISOString() ?? null,
    failures: drain.failures,
    lastError: drain.lastError,
    lastErrorAt: drain.lastErrorAt?.toISOString() ?? null,
  };
}

/** Adding, listing and removing an environment's log drains (member role; another team's app is a 404). */
@Injectable()
export class LogDrainsService {
  constructor(
    private readonly access: AppAccess,
    private readonly db: PrismaService,
    private readonly store: LogStore,
    private readonly transport: DrainTransport,
    private readonly config: BerthConfig,
  ) {}

  async list(userId: string, appName: string, envName: string) {
    const { environment } = await this.access.environment(userId, appName, envName, 'member');
    const drains = await this.db.logDrain.findMany({ where: { environmentId: environment.id }, orderBy: { createdAt: 'asc' } });
    return drains.map(drainJson);
  }

  async add(userId: string, appName: string, envName: string, body: unknown) {
    const { environment } = await this.access.environment(userId, appName, envName, 'member');
    const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const unknown = Object.keys(fields).filter((key) => key !== 'url');
    if (unknown.length) throw invalidInput(Object.fromEntries(unknown.map((key) => [key, 'is not a known field; remove it'])));
    const problem = drainUrlProblem(fields.url, { allowLoopback: this.config.logs.drainsAllowLoopback });
    if (problem) throw invalidInput({ url: problem });
    const url = fields.url as string;
    try {
      await this.transport.checkHost(url);
    } catch (error) {
      if (error instanceof DrainRefused) throw invalidInput({ url: error.message });
      throw error;
    }
    const max = this.config.logs.maxDrainsPerEnvironment;
    const count = await this.db.logDrain.count({ where: { environmentId: environment.id } });
    if (count >= max) {
      throw conflict('too_many_drains', `Environment "${envName}" already has ${count} log drains, the most it may have (LOGS_MAX_DRAINS_PER_ENV=${max}). Remove one with DELETE …/log-drains/<id> first.`);
    }
    // A new drain forwards what is written from now on, not the stored history.
    const cursor = await this.store.lastId();
    const drain = await this.db.logDrain.create({ data: { environmentId: environment.id, url, cursor } });
    return drainJson(drain);
  }

  async remove(userId: string, appName: string, envName: string, id: string): Promise<void> {
    const { environment } = await this.access.environment(userId, appName, envName, 'member');
    const gone = /^[0-9a-f-]{36}$/i.test(id) ? await this.db.logDrain.deleteMany({ where: { id, environmentId: environment.id } }) : { count: 0 };
    if (!gone.count) throw notFound('drain_not_found', `Environment "${envName}" has no log drain ${id}. List them with GET /api/apps/${appName}/environments/${envName}/log-drains.`);
  }
}
