import { Injectable } from '@nestjs/common';
import { AppAccess } from '@berth/tenant-apps';
import { notFound } from '@berth/common';
import { Build, Environment, Image, PrismaService, Release } from '@berth/db';

type BuildRow = Build & { environment: Pick<Environment, 'name'>; image: Image | null; release?: Pick<Release, 'version' | 'status' | 'failureReason'> | null };
const INCLUDE = { environment: { select: { name: true } }, image: true, release: { select: { version: true, status: true, failureReason: true } } } as const;

export const buildNotFound = (app: string) => notFound('build_not_found', `App "${app}" has no such build. List its builds with GET /api/apps/${app}/builds.`);

/** Reading builds: an app's history and one build with its log. Viewers may read. */
@Injectable()
export class BuildsService {
  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
  ) {}

  present(row: BuildRow, withLog = false) {
    const image = row.image;
    return {
      id: row.id,
      environment: row.environment.name,
      branch: row.branch,
      commitSha: row.commitSha,
      status: row.status,
      buildpack: row.buildpack,
      failureReason: row.failureReason,
      createdById: row.createdById,
      createdAt: row.createdAt,
      startedAt: row.startedAt,
      finishedAt: row.finishedAt,
      image: image
        ? { id: image.id, tag: image.tag, digest: image.digest, sizeBytes: Number(image.sizeBytes), processTypes: image.processTypes, builtBy: image.buildId }
        : null,
      /** The release this build made, if any: a succeeded build whose release failed is told apart. */
      release: row.release ? { version: row.release.version, status: row.release.status, failureReason: row.release.failureReason } : null,
      ...(withLog ? { log: row.log } : {}),
    };
  }

  async list(userId: string, appName: string, options: { environment?: string; limit?: number } = {}) {
    const app = await this.access.app(userId, appName);
    const rows = await this.db.build.findMany({
      where: { appId: app.id, ...(options.environment ? { environment: { name: options.environment } } : {}) },
      include: INCLUDE,
      orderBy: { createdAt: 'desc' },
      take: options.limit ?? 50,
      // The log can be megabytes; the list leaves it out.
      omit: { log: true },
    });
    return rows.map((row) => this.present({ ...row, log: '' }));
  }

  /** One build of an app the caller can see (another team's build is a 404 like a missing one). */
  async find(userId: string, appName: string, buildId: string): Promise<BuildRow> {
    const app = await this.access.app(userId, appName);
    const row = await this.db.build.findFirst({ where: { id: buildId, appId: app.id }, include: INCLUDE });
    if (!row) throw buildNotFound(appName);
    return row;
  }

  async get(userId: string, appName: string, buildId: string) {
    return this.present(await this.find(userId, appName, buildId), true);
  }
}
