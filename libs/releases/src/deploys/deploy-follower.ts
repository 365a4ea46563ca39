import { Injectable } from '@nestjs/common';
import { waitingForRoom } from '@berth/tenant-apps';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { PrismaService } from '@berth/db';
import { RedisService } from '@berth/redis';
import { isRoutable, ROUTABLE_FACTS, ROUTABLE_INSTANCE, SCHEDULER_LEASE } from '@berth/contracts';

/** How long a release may wait for room on a host before the one who deployed is told so. */
const ROOM_PATIENCE_MS = 10_000;

/**
 * `active`: the release serves at its URL. `waiting`: it is not serving yet (queued, waiting for
 * room, its hosts down) and goes on without the one who deployed watching.
 */
export type DeployOutcome = 'active' | 'failed' | 'superseded' | 'waiting';

export interface DeployResult {
  outcome: DeployOutcome;
  /** The last word for the person who deployed: "Deployed v3: …", or what state the release is in and what to do. */
  message: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Watches a release roll out, says how it goes line by line, and returns how it ended. It is
 * `active` only once the release is current and at least one of its web instances is routable
 * (ROUTABLE_INSTANCE: what the router sends requests to), so "Deployed" means the URL answers
 * with it. Otherwise it waits up to `waitMs` (GIT_PUSH_DEPLOY_WAIT_SECONDS), and says what the
 * release waits for; a release that waits for room is reported after ROOM_PATIENCE_MS.
 */
@Injectable()
export class DeployFollower {
  constructor(
    private readonly db: PrismaService,
    private readonly redis: RedisService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
  ) {}

  async follow(releaseId: string, say: (line: string) => Promise<void>, options: { waitMs?: number; pollMs?: number; signal?: AbortSignal } = {}): Promise<DeployResult> {
    const waitMs = options.waitMs ?? this.config.git.pushDeployWaitMs;
    const started = this.clock.now().getTime();
    let last = '';
    for (;;) {
      const release = await this.db.release.findUnique({
        where: { id: releaseId },
        include: { formation: true, instances: { where: { desiredState: 'running' }, select: { ...ROUTABLE_FACTS, hostId: true, reason: true, host: { select: { name: true, state: true } } } } },
      });
      if (!release) return { outcome: 'superseded', message: 'The release is gone: its app or environment was deleted.' };
      const v = `v${release.version}`;
      if (release.status === 'failed') {
        return { outcome: 'failed', message: `Release ${v} failed: ${release.failureReason ?? 'unknown reason'}. The previous release keeps serving.` };
      }
      if (release.status === 'superseded') {
        return { outcome: 'superseded', message: `Release ${v} was replaced by a newer release before it finished.` };
      }
      const web = release.formation.find((line) => line.processType === 'web');
      const wantsWeb = Boolean(web && web.quantity > 0);
      const routable = await this.db.instance.count({ where: { releaseId, ...ROUTABLE_INSTANCE } });
      if (release.status === 'active' && (!wantsWeb || routable > 0)) {
        return { outcome: 'active', message: wantsWeb ? `Deployed ${v}: ${plural(routable, 'web instance')} healthy` : `Deployed ${v} (no web process runs)` };
      }

      const waited = this.clock.now().getTime() - started;
      const unplaced = release.instances.find((i) => i.hostId === null && i.reason);
      if (unplaced && (waited > ROOM_PATIENCE_MS || /no hosts yet/.test(unplaced.reason!))) {
        // The words of the environment's status (waitingForRoom), for a member: the push, the
        // API and the 503 page say the same. The push prints them for its pusher.
        const room = waitingForRoom(release.version, unplaced.reason!, 'member');
        return { outcome: 'waiting', message: `${room.message} ${room.hint}` };
      }
      const healthy = release.instances.filter(isRoutable).length;
      const progress = wantsWeb && release.status === 'deploying' ? `${healthy} of ${plural(web!.quantity, 'web instance')} healthy…` : '';
      if (progress && progress !== last) {
        await say(progress);
        last = progress;
      }
      if (options.signal?.aborted) return { outcome: 'waiting', message: `Stopped watching release ${v}: the one who deployed went away. It goes on.` };
      if (waited >= waitMs) return { outcome: 'waiting', message: await this.stillWaiting(release, v, waitMs, healthy, web?.quantity ?? 0) };
      await sleep(Math.min(options.pollMs ?? 500, Math.max(50, waitMs - waited)));
    }
  }

  /** What a release that is not serving after the wait is doing, and what to do about it. */
  private async stillWaiting(
    release: { status: string; instances: { processType: string; host: { name: string; state: string } | null }[] },
    v: string,
    waitMs: number,
    healthy: number,
    wanted: number,
  ): Promise<string> {
    const waited = `${Math.round(waitMs / 1000)} s`;
    if (release.status === 'pending') {
      const scheduler = (await this.redis.client.exists(SCHEDULER_LEASE(this.redis.key()))) > 0;
      return scheduler
        ? `Release ${v} is still queued after ${waited}: the scheduler has not taken it yet. It rolls out when the scheduler gets to it.`
        : `Release ${v} is queued: no scheduler has taken it in ${waited}. It rolls out when a process with the scheduler role (BERTH_ROLES) runs again.`;
    }
    const down = release.instances.find((i) => i.processType === 'web' && i.host && i.host.state === 'down');
    if (release.status === 'active') {
      return `Release ${v} is current, but none of its web instances can take requests${down ? ` (host ${down.host!.name} is down)` : ''}. The scheduler places them again on a host that is up.`;
    }
    return `Release ${v} is still rolling out after ${waited} (${healthy} of ${plural(wanted, 'web instance')} healthy${down ? `; host ${down.host!.name} is down` : ''}). It becomes current once its instances are healthy, or fails after ROLLOUT_TIMEOUT_SECONDS.`;
  }
}
