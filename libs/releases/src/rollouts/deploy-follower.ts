import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { PrismaService } from '@berth/db';

export type DeployOutcome = 'active' | 'failed' | 'superseded' | 'timeout';

export interface DeployResult {
  outcome: DeployOutcome;
  /** The last word for the person who deployed: "Deployed v3: …", or why not. */
  message: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Watches a release roll out, says how it goes line by line, and returns how it ended. */
@Injectable()
export class DeployFollower {
  constructor(
    private readonly db: PrismaService,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
  ) {}

  async follow(releaseId: string, say: (line: string) => Promise<void>, pollMs = 500): Promise<DeployResult> {
    const deadline = this.clock.now().getTime() + this.config.scheduler.rolloutTimeoutMs + 30_000;
    let last = '';
    while (this.clock.now().getTime() < deadline) {
      const release = await this.db.release.findUnique({
        where: { id: releaseId },
        include: { formation: true, instances: { where: { processType: 'web' }, select: { healthy: true, actualState: true } } },
      });
      if (!release) return { outcome: 'superseded', message: 'The release is gone: its app or environment was deleted.' };
      const web = release.formation.find((line) => line.processType === 'web');
      const healthy = release.instances.filter((i) => i.healthy && i.actualState === 'running').length;
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
    return { outcome: 'timeout', message: 'Still deploying; follow it with GET …/releases and …/instances.' };
  }
}
