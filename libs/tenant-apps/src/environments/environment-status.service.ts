import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { isRoutable, ROUTABLE_FACTS } from '@berth/contracts';
import type { EnvironmentStatus, StatusAudience } from './environment-status.types';

export type { EnvironmentState, EnvironmentStatus, StatusAudience } from './environment-status.types';

type InstanceFacts = { actualState: 'pending' | 'starting' | 'running' | 'crashed' | 'stopped' | 'failed'; reason: string | null; restartCount: number };

/** The facts the status is derived from; see EnvironmentStatusService.facts. */
export interface StatusFacts {
  appName: string;
  envName: string;
  branch: string;
  routable: number;
  latestBuild: { status: 'queued' | 'building' | 'succeeded' | 'failed'; failureReason: string | null; createdAt?: Date } | null;
  /** The current release: the newest active one. */
  active: { version: number; webQuantity: number | null; createdAt?: Date } | null;
  /** The newest release when it is newer than the active one, with its web instances meant to run. */
  newer: { version: number; status: 'pending' | 'deploying' | 'active' | 'superseded' | 'failed'; failureReason: string | null; createdAt?: Date; instances?: InstanceFacts[] } | null;
  /** Set while the environment is asleep (its instances stopped until a request wakes it). */
  sleeping?: { since: Date; afterMinutes: number | null; cause?: 'idle' | 'memory_pressure' | null } | null;
  /** Web instances of the current release that are meant to run. */
  instances: InstanceFacts[];
}

/** A reason as the end of a sentence: one full stop, whether it had one or not. */
const sentence = (reason: string) => (/[.!?]$/.test(reason) ? reason : `${reason}.`);
const ROLLING = new Set(['pending', 'deploying']);
/** The agent's "; restarting in 2 s" is true only for a moment: statuses are read later. */
const withoutRetry = (reason: string) => reason.replace(/; (restarting|trying again) in \d+ s$/, '');
const isOom = (reason: string | null | undefined) => Boolean(reason && /ran out of memory/.test(reason));
/** An instance that has not been placed, and why (the placement's reason); not one restarting on its host. */
const unplacedReason = (instances: InstanceFacts[] | undefined) => instances?.find((i) => i.actualState === 'pending' && i.reason)?.reason ?? null;

/**
 * What to do about a release or instance that failed, by its reason: an OOM kill asks for
 * memory, a silent port for $PORT, an exit for the logs.
 */
export function failureHint(reason: string | null | undefined): string {
  if (isOom(reason)) return 'Raise memoryMb of the web process in the formation (PATCH /api/apps/:app/environments/:env/formation) or make it use less memory; its logs show what it was doing.';
  if (reason && /did not answer on port|stopped answering on port/.test(reason)) return 'Check that the web process listens on $PORT (0.0.0.0), fix it and push again; its logs show what it did.';
  if (reason && /could not be placed/.test(reason)) return 'Lower what the formation books (memoryRequestMb, cpuRequest, quantity), or ask the operator to add capacity; then redeploy.';
  return 'Read its logs (GET /api/apps/:app/environments/:env/logs), fix the problem and push again.';
}

/**
 * A release that waits for a host with room. A member is told what they can change (the
 * formation); an operator gets the placement's numbers (asked for, free on the best host).
 */
export function waitingForRoom(version: number, reason: string, audience: StatusAudience): { message: string; hint: string } {
  const why = reason.replace(/^cannot be placed: /, '');
  // No host is up (or its host stopped answering): asking for less would not help.
  if (/placement resumes when one is ready|stopped answering/.test(why)) {
    return {
      message: `Release v${version} waits for a host: ${why}.`,
      hint: 'Its host stopped answering (its Berth agent is down or cut off); it starts again by itself once a host is ready. If this lasts, ask the operator to check the agents (GET /api/hosts).',
    };
  }
  const tooLarge = /no host is large enough/.test(why);
  if (audience === 'operator') {
    return {
      message: `Release v${version} waits for room on a host: ${why}.`,
      hint: tooLarge
        ? 'No host is that large: add a larger host, or ask the team to lower the formation. It fails after ROLLOUT_TIMEOUT_SECONDS.'
        : 'Add a host or free capacity (GET /api/hosts shows what each host has booked); it deploys once room frees up within ROLLOUT_TIMEOUT_SECONDS.',
    };
  }
  // The hosts' names and free memory are the operator's business; the size asked for is the member's.
  const asked = why.replace(/\s*\((largest|largest free|closest):[^)]*\)/g, '').replace(/; add a host or ask for less$/, '');
  return {
    message: `Release v${version} waits for room on a host: ${asked}.`,
    hint: tooLarge
      ? 'No host is that large: lower memoryMb or cpu of the web process in the formation (PATCH /api/apps/:app/environments/:env/formation), or ask the operator for a larger host.'
      : 'Lower what it books (quantity, memoryRequestMb or cpuRequest in the formation: PATCH /api/apps/:app/environments/:env/formation), or ask the operator to add capacity. It deploys if room frees up within ROLLOUT_TIMEOUT_SECONDS.',
  };
}

function releaseFailed(version: number, reason: string | null): { message: string; hint: string } {
  return { message: `Release v${version} failed to start${reason ? `: ${sentence(reason)}` : '.'}`, hint: failureHint(reason) };
}

function buildFailed(reason: string | null, push: string): { message: string; hint: string } {
  return { message: `The last build failed${reason ? `: ${sentence(reason)}` : '.'}`, hint: `Read the build log, fix the problem and push again. ${push}` };
}

/**
 * A web instance that crashed, or restarts after crashing and has not answered since (its
 * reason is cleared once it does): a crash loop reads as crashing all along, not as
 * "starting" between two crashes.
 */
function crashing(i: InstanceFacts): boolean {
  if (i.actualState === 'crashed' || i.actualState === 'failed') return true;
  return i.actualState === 'starting' && i.restartCount > 0 && Boolean(i.reason);
}

/** Derives the status from the facts. Pure: the order of the checks is the priority of the reasons. */
export function deriveStatus(f: StatusFacts, audience: StatusAudience = 'member'): EnvironmentStatus {
  const push = `Push a commit to deploy: git push <berth remote> ${f.branch}.`;
  const building = f.latestBuild && (f.latestBuild.status === 'queued' || f.latestBuild.status === 'building');
  const newerRolling = f.newer && ROLLING.has(f.newer.status) ? f.newer : null;
  const newerUnplaced = newerRolling && unplacedReason(newerRolling.instances);
  if (f.routable > 0) {
    const n = f.routable;
    return {
      state: 'running',
      message: `${n} web instance${n === 1 ? ' is' : 's are'} serving release v${f.active?.version}.`,
      hint: 'Nothing to do.',
      latestPush: latestPushFailure(f, audience, push),
    };
  }
  if (f.sleeping && f.active && !newerRolling) {
    const since = f.sleeping.since.toISOString();
    const after = f.sleeping.afterMinutes;
    return {
      state: 'sleeping',
      message:
        f.sleeping.cause === 'memory_pressure'
          ? `Asleep since ${since}: its host ran short of memory, and it was the least recently requested environment there.`
          : `Asleep since ${since}${after ? ` after ${after} minute${after === 1 ? '' : 's'} without requests` : ''}.`,
      hint: 'The next request wakes it.',
      since,
    };
  }
  if (!f.active) {
    if (building) return { state: 'building', message: 'The first build of this environment is running.', hint: 'Wait a minute and reload; follow the build with GET /api/apps/:app/builds.' };
    if (newerRolling && newerUnplaced) return { state: 'unplaced', ...waitingForRoom(newerRolling.version, newerUnplaced, audience) };
    const crash = newerRolling?.instances?.find(crashing);
    if (newerRolling && crash) {
      return { state: 'crashed', message: `Release v${newerRolling.version} is starting, but its web process crashed: ${withoutRetry(crash.reason ?? 'it exited')}.`, hint: failureHint(crash.reason) };
    }
    if (newerRolling) return { state: 'starting', message: `Release v${newerRolling.version} is starting.`, hint: 'Wait a few seconds and reload.' };
    // Whichever came last: a release that failed, or a build after it that failed.
    const buildFailedLast = f.latestBuild?.status === 'failed' && (!f.newer?.createdAt || !f.latestBuild.createdAt || f.latestBuild.createdAt > f.newer.createdAt);
    if (f.newer?.status === 'failed' && !buildFailedLast) return { state: 'release_failed', ...releaseFailed(f.newer.version, f.newer.failureReason) };
    if (f.latestBuild?.status === 'failed') return { state: 'build_failed', ...buildFailed(f.latestBuild.failureReason, push) };
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
  const crashed = f.instances.filter(crashing);
  if (crashed.length > 0) {
    const why = crashed.find((i) => i.reason)?.reason;
    const restarts = Math.max(...crashed.map((i) => i.restartCount));
    return {
      state: 'crashed',
      message: `The web process ${restarts > 1 ? 'keeps crashing' : 'crashed'}${why ? `: ${withoutRetry(why)}` : ''} (restarted ${restarts} time${restarts === 1 ? '' : 's'}).`,
      hint: `${failureHint(why)} It is restarted automatically.`,
    };
  }
  const unplaced = unplacedReason(f.instances);
  if (unplaced) return { state: 'unplaced', ...waitingForRoom(f.active.version, unplaced, audience) };
  if (newerRolling) return { state: 'starting', message: `Release v${newerRolling.version} is starting.`, hint: 'Wait a few seconds and reload.' };
  return { state: 'starting', message: 'The web process is starting.', hint: 'Wait a few seconds and reload.' };
}

/** While an older release serves: whether the latest push failed or waits, and why. */
function latestPushFailure(f: StatusFacts, audience: StatusAudience, push: string): EnvironmentStatus['latestPush'] {
  const building = f.latestBuild && (f.latestBuild.status === 'queued' || f.latestBuild.status === 'building');
  if (building) return null;
  // A build newer than the current release that failed: nothing was released from it.
  // A failed build counts when it came after the newest release (the serving one, or a newer that failed or waits).
  const newestRelease = f.newer?.createdAt ?? f.active?.createdAt;
  const buildIsLatest = !newestRelease || !f.latestBuild?.createdAt ? f.newer?.status !== 'failed' : f.latestBuild.createdAt > newestRelease;
  if (f.latestBuild?.status === 'failed' && buildIsLatest) return { state: 'build_failed', ...buildFailed(f.latestBuild.failureReason, push) };
  if (f.newer?.status === 'failed') {
    const failed = releaseFailed(f.newer.version, f.newer.failureReason);
    return { state: 'release_failed', message: `${failed.message} v${f.active?.version} keeps serving.`, hint: `${failed.hint} Or redeploy v${f.newer.version} (POST …/releases/v${f.newer.version}/redeploy).` };
  }
  const unplaced = f.newer && ROLLING.has(f.newer.status) ? unplacedReason(f.newer.instances) : null;
  if (f.newer && unplaced) {
    const room = waitingForRoom(f.newer.version, unplaced, audience);
    return { state: 'unplaced', message: `${room.message} v${f.active?.version} keeps serving.`, hint: room.hint };
  }
  return null;
}

/**
 * Why an environment does or does not serve traffic, derived from the database. Used by the
 * API (`status` on an environment), the router's 503 page, the push's last words and the dashboard:
 * one text for one state, wherever it is read.
 */
@Injectable()
export class EnvironmentStatusService {
  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
  ) {}

  /** Operators (BERTH_OPERATOR_EMAILS) are shown the placement's numbers; everyone else, what the team can change. */
  audienceOf(email: string | null | undefined): StatusAudience {
    return email && this.config.scheduler.operatorEmails.includes(email.toLowerCase()) ? 'operator' : 'member';
  }

  /**
   * Whether status() would say `sleeping` (nothing serves, asleep, an active release, none
   * rolling out), in one query instead of its dozen: the router asks this of every request held
   * for a wake. False when unsure (then ask status()).
   */
  async asleep(environmentId: string): Promise<boolean> {
    const env = await this.db.environment.findFirst({
      where: { id: environmentId, sleepingSince: { not: null }, AND: [{ releases: { some: { status: 'active' } } }, { releases: { none: { status: { in: ['pending', 'deploying'] } } } }] },
      select: { id: true },
    });
    return env !== null;
  }

  /** The status of an environment, or null when it does not exist. Callers check access. */
  async status(environmentId: string, audience: StatusAudience = 'member'): Promise<EnvironmentStatus | null> {
    const facts = await this.facts(environmentId);
    return facts && deriveStatus(facts, audience);
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
      select: { id: true, name: true, branch: true, sleepingSince: true, sleepCause: true, sleepAfterMinutes: true, app: { select: { name: true } } },
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
        select: { environmentId: true, status: true, failureReason: true, createdAt: true },
      }),
      this.db.release.findMany({
        where: { environmentId: { in: ids } },
        distinct: ['environmentId'],
        orderBy: [{ environmentId: 'asc' }, { version: 'desc' }],
        select: {
          environmentId: true,
          version: true,
          status: true,
          failureReason: true,
          createdAt: true,
          instances: { where: { processType: 'web', desiredState: 'running' }, select: { actualState: true, reason: true, restartCount: true } },
        },
      }),
      this.db.release.findMany({
        where: { environmentId: { in: ids }, status: 'active' },
        distinct: ['environmentId'],
        orderBy: [{ environmentId: 'asc' }, { version: 'desc' }],
        select: {
          environmentId: true,
          version: true,
          createdAt: true,
          formation: { where: { processType: 'web' }, select: { quantity: true } },
          instances: { where: { processType: 'web', desiredState: 'running' }, select: { ...ROUTABLE_FACTS, reason: true, restartCount: true, previousPort: true } },
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
        // What the router sends requests to (ROUTABLE_INSTANCE; an instance on a host marked down does not
        // serve), and an instance handed over from a lost host, which serves where it was until it runs healthy elsewhere.
        routable: instances.filter((i) => isRoutable(i) || i.previousPort !== null).length,
        latestBuild: build.get(env.id) ?? null,
        // A release without a web formation entry but with web instances still has a web process.
        active: active && { version: active.version, createdAt: active.createdAt, webQuantity: active.formation[0]?.quantity ?? (instances.length || null) },
        newer: newest && (!active || newest.version > active.version) ? newest : null,
        sleeping: env.sleepingSince && { since: env.sleepingSince, afterMinutes: env.sleepAfterMinutes, cause: env.sleepCause },
        instances,
      });
    }
    return facts;
  }
}
