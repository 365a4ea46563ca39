import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService, Release } from '@berth/db';
import { ReleasesService } from './releases.service';

/** What releasing a build came to: its release (`made` when this call wrote it), or why there is none. */
export type BuildRelease = { release: Release; made: boolean } | { release: null; reason: string };

/**
 * The step from a successful build to its release, made exactly once whoever takes it: the push
 * that waits on the build (at once) or BuildReleaseSweep in any process that loads releases
 * (when that push's process died). The environment's row lock orders the attempts and the
 * unique Release.buildId backs it up, so a second attempt finds the first one's release. A build
 * is not released once a newer push of its environment was: an environment never goes back to
 * an older commit on its own.
 */
@Injectable()
export class BuildReleaser {
  constructor(
    private readonly db: PrismaService,
    private readonly releases: ReleasesService,
  ) {}

  async release(buildId: string): Promise<BuildRelease> {
    const build = await this.db.build.findUnique({
      where: { id: buildId },
      select: { id: true, status: true, imageId: true, environmentId: true, createdById: true, createdAt: true },
    });
    if (!build) return { release: null, reason: 'the build is gone (its environment was deleted)' };
    if (build.status !== 'succeeded' || !build.imageId) return { release: null, reason: `build ${build.id} has not succeeded` };
    const existing = await this.db.release.findUnique({ where: { buildId } });
    if (existing) return { release: existing, made: false };

    let newer: { version: number; build: { commitSha: string } | null } | null = null;
    try {
      const made = await this.releases.deployImage({
        environmentId: build.environmentId,
        imageId: build.imageId,
        createdById: build.createdById,
        buildId,
        // Under the environment's lock: released meanwhile, or overtaken by a newer push's release.
        proceed: async (tx) => {
          if (await tx.release.findUnique({ where: { buildId }, select: { id: true } })) return false;
          newer = await tx.release.findFirst({
            where: { environmentId: build.environmentId, build: { createdAt: { gt: build.createdAt } } },
            orderBy: { version: 'desc' },
            select: { version: true, build: { select: { commitSha: true } } },
          });
          return !newer;
        },
      });
      if (made) return { release: made, made: true };
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002')) throw error;
    }
    const released = await this.db.release.findUnique({ where: { buildId } });
    if (released) return { release: released, made: false };
    const overtaken = newer as { version: number; build: { commitSha: string } | null } | null;
    if (overtaken) {
      return { release: null, reason: `a newer push (${overtaken.build?.commitSha.slice(0, 7) ?? 'unknown'}) of this environment was released first, as v${overtaken.version}` };
    }
    return { release: null, reason: 'the environment is gone' };
  }
}
