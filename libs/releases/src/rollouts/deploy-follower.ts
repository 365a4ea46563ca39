import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { PrismaService } from '@berth/db';
import { RedisService } from '@berth/redis';
import { SCHEDULER_LEASE } from '../notifications';

/** How long a release may sit unplaced (no scheduler took it, or no host has room) before we stop watching. */
const PATIENCE_MS = 10_000;

/** `waiting`: the release is queued or waits for room; it goes on without the one who deployed watching. */
export type DeployOutcome = 'active' | 'failed' | 'superseded' | 'waiting';

export interface DeployResult {
  outcome: DeployOutcome;
  /** The last word for the person who deployed: "Deployed v3: …", or why not. */
  message: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Watches a release roll out, says how it goes line by line, and returns how it ended. It stops
 * watching (and says so) when no scheduler runs, or when the release has waited PATIENCE_MS for
 * a scheduler or for room on a host: the rollout goes on, the person need not wait for it.
 */
@Injectable()
export class DeployFollower {
  constructor(
    private readonly db: PrismaService,
    private readonly redis: RedisService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
  ) {}

  async follow(releaseId: string, say: (line: string) => Promise<void>, pollMs = 500): Promise<DeployResult> {
    const started = this.clock.now().getTime();
    const deadline = started + this.config.scheduler.rolloutTimeoutMs + 30_000;
    let last = '';
    while (this.clock.now().getTime() < deadline) {
      const release = await this.db.release.findUnique({
        where: { id: releaseId },
        include: { formation: true, instances: { select: { processType: true, healthy: true, actualState: true, hostId: true, reason: true } } },
      });
      if (!release) return { outcome: 'superseded', message: 'The release is gone: its app or environment was deleted.' };
      const patienceOver = this.clock.now().getTime() - started > PATIENCE_MS;
      if (release.status === 'pending' && (patienceOver || !(await this.redis.client.exists(SCHEDULER_LEASE(this.redis.key()))))) {
        return { outcome: 'waiting', message: `Release v${release.version} is queued: no scheduler has taken it yet. It rolls out when one runs (BERTH_ROLES with scheduler).` };
      }
      const unplaced = release.instances.find((i) => i.hostId === null && i.reason);
      if (unplaced && (patienceOver || /no hosts yet/.test(unplaced.reason!))) {
        return { outcome: 'waiting', message: `Release v${release.version} waits for room: ${unplaced.reason}. It rolls out if room appears within ROLLOUT_TIMEOUT_SECONDS, or fails.` };
      }
      const web = release.formation.find((line) => line.processType === 'web');
      const healthy = release.instances.filter((i) => i.processType === 'web' && i.healthy && i.actualState === 'running').length;
      const progress = web && web.quantity > 0 ? `${healthy} of ${web.quantity} web instance${web.quantity === 1 ? '' : 's'} healthy…` : '';
      if (progress && progress !== last && release.status !== 'active') {
        await say(progress);
        last = progress;
      }
      if (release.status === 'active') {
        const message = web && web.quantity > 0 ? `Deployed v${release.version}: ${healthy} web instance${healthy === 1 ? '' : 's'} healthy` : `Deployed v${release.version} (no web process runs)`;
        return { outcome: 'active', message };
      }
      if (release.status === 'failed') {
        return { outcome: 'failed', message: `Release v${release.version} failed: ${release.failureReason ?? 'unknown reason'}. The previous release keeps serving.` };
      }
      if (release.status === 'superseded') {
        return { outcome: 'superseded', message: `Release v${release.version} was replaced by a newer release before it finished.` };
      }
      await sleep(pollMs);
    }
    return { outcome: 'waiting', message: 'Still deploying; follow it with GET …/releases and …/instances.' };
  }
}
