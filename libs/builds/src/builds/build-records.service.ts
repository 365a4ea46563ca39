import { Injectable } from '@nestjs/common';
import { Clock } from '@berth/common';
import { BuildStatus, Prisma, PrismaService } from '@berth/db';
import { BuildLog } from '../build-log/build-log.service';

const UNFINISHED: BuildStatus[] = ['queued', 'building'];

/**
 * The status of Build rows: queued → building → succeeded | failed, each change guarded so a
 * finished build is never reopened (two builders, a sweep and a retry may all try).
 */
@Injectable()
export class BuildRecords {
  constructor(
    private readonly db: PrismaService,
    private readonly log: BuildLog,
    private readonly clock: Clock,
  ) {}

  /** Marks a build as building; false when it is finished or gone. */
  async start(buildId: string): Promise<boolean> {
    const { count } = await this.db.build.updateMany({
      where: { id: buildId, status: { in: UNFINISHED } },
      data: { status: 'building', startedAt: this.clock.now(), failureReason: null },
    });
    return count === 1;
  }

  /** Records the buildpack as soon as detection chose it, so the build's page says it while the build runs. */
  async planned(buildId: string, buildpack: string): Promise<void> {
    await this.db.build.updateMany({ where: { id: buildId, status: 'building' }, data: { buildpack } });
  }

  /** Records success with the image the build produced or reused. The caller then ends the live log (after its last lines). */
  async succeed(buildId: string, imageId: string, buildpack: string | null, tx: Prisma.TransactionClient = this.db): Promise<boolean> {
    const { count } = await tx.build.updateMany({
      where: { id: buildId, status: { in: UNFINISHED } },
      data: { status: 'succeeded', imageId, buildpack, finishedAt: this.clock.now() },
    });
    return count === 1;
  }

  /** Records failure with a reason the pusher reads, writes it to the log and ends the live log. */
  async fail(buildId: string, reason: string, buildpack?: string | null): Promise<boolean> {
    const { count } = await this.db.build.updateMany({
      where: { id: buildId, status: { in: UNFINISHED } },
      data: { status: 'failed', failureReason: reason, finishedAt: this.clock.now(), ...(buildpack ? { buildpack } : {}) },
    });
    if (count === 1) {
      await this.log.append(buildId, ` !     ${reason.split('\n').join('\n !     ')}`);
      await this.log.end(buildId, { status: 'failed', failureReason: reason });
    }
    return count === 1;
  }

  unfinished(where: { createdBefore?: Date } = {}) {
    return this.db.build.findMany({
      where: { status: { in: UNFINISHED }, ...(where.createdBefore ? { createdAt: { lt: where.createdBefore } } : {}) },
      select: { id: true, appId: true, environmentId: true, commitSha: true, status: true, createdAt: true },
    });
  }
}
