import type { ClusterSnapshot } from './snapshot';
import type { HostClaim, PlacementPlan } from './types';

/**
 * Committing a plan with an optimistic check. The database is injected: PrismaClient and the
 * client Prisma hands to `$transaction(async (tx) => …)` both fit these interfaces as they are,
 * and so does anything else with the same two methods.
 */

/** Runs a statement with $1, $2… parameters and returns how many rows it changed. */
export interface SqlExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** Runs a query with $1, $2… parameters and returns its rows. */
export interface SqlQuerier {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}

/** A host changed (or stopped taking placements) since the plan was made: plan again from a fresh snapshot. */
export class PlacementConflict extends Error {
  override readonly name = 'PlacementConflict';
  constructor(readonly claim: HostClaim) {
    super(`host ${claim.hostName} changed since version ${claim.version} (another placement committed, or it was cordoned, drained or went down): plan again from a fresh snapshot`);
  }
}

const CLAIM_HOST = `UPDATE "Host" SET version = version + 1 WHERE id = $1::uuid AND version = $2 AND state = 'ready' AND cordoned = false`;

/**
 * Inside the caller's transaction, before writing the plan's instances: bumps the version of
 * every host the plan adds to, if it still has the version the plan was computed against and
 * still takes placements. Throws PlacementConflict otherwise; the transaction must then roll
 * back. A concurrent claim on the same host waits for this transaction's row lock and then
 * finds the version moved, so two plans never both book the same free capacity.
 *
 * This only holds if every write that adds booked capacity to a host (placing, moving or
 * restarting an instance) goes through here, and snapshots read hosts before instances
 * (loadClusterSnapshot does).
 */
export async function claimHosts(tx: SqlExecutor, plan: PlacementPlan): Promise<void> {
  // plan.claims is sorted by host id: every commit locks hosts in the same order, so two
  // commits cannot deadlock.
  for (const claim of plan.claims) {
    const changed = await tx.$executeRawUnsafe(CLAIM_HOST, claim.hostId, claim.version);
    if (changed !== 1) throw new PlacementConflict(claim);
  }
}

/** Runs work in one transaction; PrismaClient is one. */
export interface Transactor<Tx> {
  $transaction<R>(work: (tx: Tx) => Promise<R>, options?: TransactionOptions): PromiseLike<R>;
}

/** Prisma's interactive-transaction options; raise the waits when many placers share a small pool. */
export interface TransactionOptions {
  maxWait?: number;
  timeout?: number;
}

export interface PlaceWithRetryOptions<Tx extends SqlExecutor, R> {
  /** Reads the cluster as it is now, e.g. `() => loadClusterSnapshot(prisma, config.placement)`. */
  load(): Promise<ClusterSnapshot>;
  /** Makes the plan: `(s) => place(s, request)`, placeBatch or drain. */
  plan(snapshot: ClusterSnapshot): PlacementPlan;
  /** Writes the plan (instances' hostId, pending reasons…) in the transaction, after the hosts are claimed. */
  write(tx: Tx, plan: PlacementPlan): Promise<R>;
  /** How many plans to try before giving up. Default 8. */
  attempts?: number;
  /**
   * Other errors that mean "what the plan was made from changed; plan again" (the scheduler's
   * instance rows moved under it, say). PlacementConflict always does.
   */
  retryable?: (error: unknown) => boolean;
  transactionOptions?: TransactionOptions;
}

export interface Committed<R> {
  plan: PlacementPlan;
  result: R;
  /** 1 when the first plan committed. */
  attempts: number;
}

/**
 * load → plan → claim + write in one transaction of `db`, again from a fresh snapshot when a
 * host changed in between (or `retryable` says so), after a short random pause that grows with
 * each attempt (many rollouts placing on one host at once otherwise collide again in step).
 * Throws the last such error after `attempts` tries; any other error at once. The one retry loop of placement: the scheduler's
 * InstancePlacer commits through it.
 *
 *   const { plan } = await placeWithRetry(prisma, {
 *     load: () => readSnapshot(prisma),                 // the caller's own read of hosts and instances
 *     plan: (snapshot) => place(snapshot, { group: spreadGroup(releaseId, 'web'), resources, count: 3, instanceIds }),
 *     write: (tx, plan) => writeInstances(tx, plan),   // the scheduler's own writes
 *   });
 */
/** The longest pause before a second attempt; the n-th waits up to n times this. */
const RETRY_PAUSE_MS = 25;

export async function placeWithRetry<Tx extends SqlExecutor, R>(db: Transactor<Tx>, options: PlaceWithRetryOptions<Tx, R>): Promise<Committed<R>> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      const plan = options.plan(await options.load());
      const result = await db.$transaction(async (tx) => {
        await claimHosts(tx, plan);
        return options.write(tx, plan);
      }, options.transactionOptions);
      return { plan, result, attempts: attempt };
    } catch (error) {
      const again = error instanceof PlacementConflict || (options.retryable?.(error) ?? false);
      if (!again || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_PAUSE_MS * attempt));
    }
  }
}
