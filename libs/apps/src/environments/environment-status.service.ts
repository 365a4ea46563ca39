import { Injectable } from '@nestjs/common';
import { PrismaService } from '@berth/db';
import type { EnvironmentStatus } from './environment-status.types';

export type { EnvironmentState, EnvironmentStatus } from './environment-status.types';

/** The facts the status is derived from; see EnvironmentStatusService.facts. */
export interface StatusFacts {
  appName: string;
  envName: string;
  branch: string;
  routable: number;
  latestBuild: { status: 'queued' | 'building' | 'succeeded' | 'failed'; failureReason: string | null } | null;
  /** The current release: the newest active one. */
  active: { version: number; webQuantity: number | null } | null;
  /** The newest release when it is newer than the active one. */
  newer: { version: number; status: 'pending' | 'deploying' | 'active' | 'superseded' | 'failed'; failureReason: string | null } | null;
  /** Web instances of the current release that are meant to run. */
  instances: { actualState: 'pending' | 'starting' | 'running' | 'crashed' | 'stopped' | 'failed'; reason: string | null; restartCount: number }[];
}

/** Derives the status from the facts. Pure: the order of the checks is the priority of the reasons. */
export function deriveStatus(f: StatusFacts): EnvironmentStatus {
  const push = `Push a commit to deploy: git push <berth remote> ${f.branch}.`;
  const building = f.latestBuild && (f.latestBuild.status === 'queued' || f.latestBuild.status === 'building');
  if (f.routable > 0) {
    const n = f.routable;
    return { state: 'running', message: `${n} web instance${n === 1 ? ' is' : 's are'} serving release v${f.active?.version}.`, hint: 'Nothing to do.' };
  }
  if (!f.active) {
    if (building) return { state: 'building', message: 'The first build of this environment is running.', hint: 'Wait a minute and reload; follow the build with GET /api/apps/:app/builds.' };
    if (f.newer && (f.newer.status === 'pending' || f.newer.status === 'deploying')) {
      return { state: 'starting', message: `Release v${f.newer.version} is starting.`, hint: 'Wait a few seconds and reload.' };
    }
    if (f.newer?.status === 'failed') {
      return { state: 'release_failed', message: `Release v${f.newer.version} failed to start${f.newer.failureReason ? `: ${f.newer.failureReason}` : '.'}`, hint: 'Check that the web process listens on $PORT, fix it and push again.' };
    }
    if (f.latestBuild?.status === 'failed') {
      return { state: 'build_failed', message: `The last build failed${f.latestBuild.failureReason ? `: ${f.latestBuild.failureReason}` : '.'}`, hint: `Read the build log, fix the problem and push again. ${push}` };
    }
    if (f.latestBuild?.status === 'succeeded') return { state: 'starting', message: 'The build succeeded; its release is being prepared.', hint: 'Wait a few seconds and reload.' };
    return { state: 'not_deployed', message: 'Nothing has been deployed to this environment yet.', hint: push };
  }
  if (f.active.webQuantity === 0 || f.active.webQuantity === null) {
    return {
      state: 'scaled_to_zero',
      message: f.active.webQuantity === null ? `Release v${f.active.version} has no web process.` : 'The web process is scaled to zero.',
      hint: f.active.webQuantity === null ? 'Declare a web process (for example in a Procfile) and push again.' : 'Scale it up: PATCH /api/apps/:app/environments/:env/formation {"web": {"quantity": 1}}.',
    };
  }
  const crashed = f.instances.filter((i) => i.actualState === 'crashed' || i.actualState === 'failed');
  if (crashed.length > 0) {
    const why = crashed.find((i) => i.reason)?.reason;
    return {
      state: 'crashed',
      message: `The web process crashed${why ? `: ${why}` : ''} (restarted ${Math.max(...crashed.map((i) => i.restartCount))} times).`,
      hint: 'Check its logs; make sure it listens on $PORT and stays up. It is restarted automatically.',
    };
  }
  const unplaced = f.instances.find((i) => i.actualState === 'pending' && i.reason);
  if (unplaced) {
    // No host is up (or its host stopped answering): asking for less would not help.
    const hostsAway = /placement resumes when one is ready|stopped answering/.test(unplaced.reason ?? '');
    return {
      state: 'unplaced',
      message: `No host can run the web process: ${unplaced.reason}`,
      hint: hostsAway
        ? 'Its host stopped answering (its Berth agent is down or cut off); it starts again by itself once a host is ready. If this lasts, ask the operator to check the agents (GET /api/hosts).'
        : 'Lower what it books (memoryRequestMb, cpuRequest) or, if no host is large enough, its limits (memoryMb, cpu) in the formation; or ask the operator to add capacity.',
    };
  }
  if (f.newer && (f.newer.status === 'pending' || f.newer.status === 'deploying')) {
    return { state: 'starting', message: `Release v${f.newer.version} is starting.`, hint: 'Wait a few seconds and reload.' };
  }
  return { state: 'starting', message: 'The web process is starting.', hint: 'Wait a few seconds and reload.' };
}

/**
 * Why an environment does or does not serve traffic, derived from the database. Used by the
 * API (`status` on an environment), the router's 503 page and the dashboard.
 */
@Injectable()
export class EnvironmentStatusService {
  constructor(private readonly db: PrismaService) {}

  /** The status of an environment, or null when it does not exist. Callers check access. */
  async status(environmentId: string): Promise<EnvironmentStatus | null> {
    const facts = await this.facts(environmentId);
    return facts && deriveStatus(facts);
  }

  async facts(environmentId: string): Promise<StatusFacts | null> {
    return (await this.factsOf([environmentId])).get(environmentId) ?? null;
  }

  /** The statuses of several environments (absent ones are left out), in a fixed number of queries. */
  async statuses(environmentIds: string[]): Promise<Map<string, EnvironmentStatus>> {
    const facts = await this.factsOf(environmentIds);
    return new Map([...facts].map(([id, f]) => [id, deriveStatus(f)]));
  }

  /**
   * The facts of several environments by id: three queries whatever their number (a list page
   * of apps asks for its statuses at once, not one environment at a time).
   */
  async factsOf(environmentIds: string[]): Promise<Map<string, StatusFacts>> {
    const facts = new Map<string, StatusFacts>();
    if (!environmentIds.length) return facts;
    const envs = await this.db.environment.findMany({
      where: { id: { in: environmentIds } },
      select: { id: true, name: true, branch: true, app: { select: { name: true } } },
    });
    if (!envs.length) return facts;
    const ids = envs.map((e) => e.id);
    // The newest build and the newest release of each, and its newest active release: DISTINCT ON
    // picks one row per environment in the database instead of reading every environment's history.
    const [builds, releases, actives] = await Promise.all([
      this.db.build.findMany({
        where: { environmentId: { in: ids } },
        distinct: ['environmentId'],
        orderBy: [{ environmentId: 'asc' }, { createdAt: 'desc' }],
        select: { environmentId: true, status: true, failureReason: true },
      }),
      this.db.release.findMany({
        where: { environmentId: { in: ids } },
        distinct: ['environmentId'],
        orderBy: [{ environmentId: 'asc' }, { version: 'desc' }],
        select: { environmentId: true, version: true, status: true, failureReason: true },
      }),
      this.db.release.findMany({
        where: { environmentId: { in: ids }, status: 'active' },
        distinct: ['environmentId'],
        orderBy: [{ environmentId: 'asc' }, { version: 'desc' }],
        select: {
          environmentId: true,
          version: true,
          formation: { where: { processType: 'web' }, select: { quantity: true } },
          instances: { where: { processType: 'web', desiredState: 'running' }, select: { actualState: true, reason: true, restartCount: true, healthy: true, hostPort: true, hostId: true } },
        },
      }),
    ]);
    const build = new Map(builds.map(({ environmentId, ...b }) => [environmentId, b]));
    const release = new Map(releases.map(({ environmentId, ...r }) => [environmentId, r]));
    const activeOf = new Map(actives.map((a) => [a.environmentId, a]));
    for (const env of envs) {
      const active = activeOf.get(env.id) ?? null;
      const newest = release.get(env.id) ?? null;
      const instances = active?.instances ?? [];
      facts.set(env.id, {
        appName: env.app.name,
        envName: env.name,
        branch: env.branch,
        routable: instances.filter((i) => i.actualState === 'running' && i.healthy && i.hostPort !== null && i.hostId !== null).length,
        latestBuild: build.get(env.id) ?? null,
        // A release without a web formation entry but with web instances still has a web process.
        active: active && { version: active.version, webQuantity: active.formation[0]?.quantity ?? (instances.length || null) },
        newer: newest && (!active || newest.version > active.version) ? newest : null,
        instances,
      });
    }
    return facts;
  }
}
