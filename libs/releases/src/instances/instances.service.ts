import { Injectable } from '@nestjs/common';
import { AppAccess } from '@berth/tenant-apps';
import { PrismaService } from '@berth/db';

/** What runs for an environment, as its agents report it. Scoped to the caller's environment. */
@Injectable()
export class InstancesService {
  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
  ) {}

  async list(userId: string, appName: string, envName: string) {
    const { environment } = await this.access.environment(userId, appName, envName);
    const rows = await this.db.instance.findMany({
      where: { environmentId: environment.id },
      include: { host: { select: { name: true } }, release: { select: { version: true } } },
      orderBy: [{ release: { version: 'desc' } }, { processType: 'asc' }, { index: 'asc' }],
    });
    return rows.map((row) => ({
      id: row.id,
      name: `${row.processType}.${row.index}`,
      processType: row.processType,
      index: row.index,
      release: row.release.version,
      host: row.host?.name ?? null,
      desiredState: row.desiredState,
      actualState: row.actualState,
      healthy: row.healthy,
      reason: row.reason,
      restartCount: row.restartCount,
      memory: { usageBytes: row.memoryUsageBytes === null ? null : Number(row.memoryUsageBytes), limitBytes: row.memoryMb * 1024 * 1024 },
      cpu: { limit: row.cpuMillis / 1000, percent: row.cpuUsagePercent },
      pidsLimit: row.pidsLimit,
      diskMb: row.diskMb,
      startedAt: row.startedAt,
    }));
  }
}
