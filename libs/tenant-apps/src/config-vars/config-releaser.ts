import type { Prisma } from '@berth/db';

/** A change to an environment's config: which keys were set and which unset, by whom. */
export interface ConfigChange {
  appId: string;
  environmentId: string;
  userId: string;
  changed: string[];
  removed: string[];
}

/** The release a config change made; `afterCommit` starts its rollout once the change is committed. */
export interface ConfigChangeRelease {
  version: number;
  afterCommit: () => Promise<void>;
}

/**
 * The port through which a config change makes its release in the same transaction, so the
 * config and the release that carries it are written together or not at all. @berth/tenant-apps owns
 * it; @berth/releases provides it (ReleasesService registers itself with ConfigVarsService).
 */
export interface ConfigReleaser {
  /**
   * Runs in the change's transaction, which holds the environment's row lock, with the config
   * as the change leaves it; null when there is nothing to release yet.
   */
  releaseConfigChange(tx: Prisma.TransactionClient, change: ConfigChange, config: Record<string, string>): Promise<ConfigChangeRelease | null>;
}
