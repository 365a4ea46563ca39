import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppAccess, ConfigChange, ConfigChangeRelease, ConfigReleaser, ConfigVarsService } from '@berth/tenant-apps';
import { BerthConfig } from '@berth/config';
import { LogWriter } from '@berth/logs';
import { conflict, invalidInput, notFound, SecretBox } from '@berth/common';
import { FormationEntry, Image, Prisma, PrismaService, Release } from '@berth/db';
import {
  applyFormationPatch,
  describeLine,
  FormationLine,
  FormationSize,
  formationForImage,
  presentFormation,
  processTypesOf,
} from '../formation/formation';
import { RolloutProducer } from '../deploys/rollout.producer';

export type ReleaseWithParts = Release & { formation: FormationEntry[]; image: Image | null };

/** What a new release is made of; its version is given by `create`. */
interface Draft {
  imageId: string | null;
  config: Record<string, string>;
  formation: FormationLine[];
  description: string;
  createdById: string | null;
  /** The build this release deploys (unique: a build is released once). */
  buildId?: string;
}

interface DraftContext {
  tx: Prisma.TransactionClient;
  /** The newest release so far: a new release starts from it. */
  base: ReleaseWithParts | null;
  defaults: FormationSize;
}

const toLine = (entry: FormationEntry): FormationLine => ({
  processType: entry.processType,
  command: entry.command,
  quantity: entry.quantity,
  memoryMb: entry.memoryMb,
  cpuMillis: entry.cpuMillis,
  pidsLimit: entry.pidsLimit,
  memoryRequestMb: entry.memoryRequestMb,
  cpuRequestMillis: entry.cpuRequestMillis,
  diskMb: entry.diskMb,
});

export const parseVersion = (value: string): number | null => {
  const match = /^v?(\d{1,9})$/i.exec(value);
  return match ? Number(match[1]) : null;
};

/**
 * Releases: append-only versions v1..vN of an environment, each an image, a config snapshot
 * (encrypted) and a formation, written in one transaction. A new release is rolled out by
 * the scheduler as soon as it has an image.
 */
@Injectable()
export class ReleasesService implements ConfigReleaser, OnModuleInit {
  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
    private readonly configVars: ConfigVarsService,
    private readonly box: SecretBox,
    private readonly config: BerthConfig,
    private readonly rollouts: RolloutProducer,
    private readonly logs: LogWriter,
  ) {}

  onModuleInit(): void {
    this.configVars.useReleaser(this);
  }

  latest(environmentId: string, tx: Prisma.TransactionClient = this.db): Promise<ReleaseWithParts | null> {
    return tx.release.findFirst({ where: { environmentId }, orderBy: { version: 'desc' }, include: { formation: true, image: true } });
  }

  openConfig(release: Pick<Release, 'configEncrypted'>): Record<string, string> {
    return this.box.openJson<Record<string, string>>(release.configEncrypted);
  }

  /**
   * Writes the next release of an environment. The environment row is locked first, so
   * concurrent releases (and config changes, which take the same lock) get consecutive,
   * distinct versions; the unique (environment, version) index backs that up.
   */
  private async create(environmentId: string, draft: (context: DraftContext) => Promise<Draft | null>): Promise<Release | null> {
    const release = await this.db.$transaction((tx) => this.createIn(tx, environmentId, draft));
    if (release) this.logs.write({ environmentId, time: release.createdAt, source: 'berth', release: release.version, text: `release v${release.version} created: ${release.description}` });
    if (release?.imageId) await this.rollouts.rollOut(release.id);
    return release;
  }

  /** `create` inside a transaction of the caller's; the caller rolls the release out after it commits. */
  private async createIn(tx: Prisma.TransactionClient, environmentId: string, draft: (context: DraftContext) => Promise<Draft | null>): Promise<Release | null> {
    const [environment] = await tx.$queryRaw<{ kind: string }[]>`SELECT kind::text AS kind FROM "Environment" WHERE id = ${environmentId}::uuid FOR UPDATE`;
    if (!environment) return null;
    const base = await this.latest(environmentId, tx);
    const defaults = environment.kind === 'preview' ? this.config.formation.preview : this.config.formation.production;
    const next = await draft({ tx, base, defaults });
    if (!next) return null;
    return tx.release.create({
      data: {
        environmentId,
        version: (base?.version ?? 0) + 1,
        imageId: next.imageId,
        configEncrypted: this.box.sealJson(next.config),
        description: next.description,
        createdById: next.createdById,
        buildId: next.buildId,
        formation: {
          create: next.formation.map(({ processType, command, quantity, memoryMb, cpuMillis, pidsLimit, diskMb, memoryRequestMb, cpuRequestMillis }) => ({
            processType,
            command,
            quantity,
            memoryMb,
            cpuMillis,
            pidsLimit,
            diskMb,
            memoryRequestMb: memoryRequestMb ?? null,
            cpuRequestMillis: cpuRequestMillis ?? null,
          })),
        },
      },
    });
  }

  /**
   * A new image for an environment (a successful build): its process types, the current config.
   * `proceed` runs first under the environment's lock and may decline (null: no release).
   */
  async deployImage(input: {
    environmentId: string;
    imageId: string;
    createdById: string | null;
    description?: string;
    buildId?: string;
    proceed?: (tx: Prisma.TransactionClient) => Promise<boolean>;
  }): Promise<Release | null> {
    return this.create(input.environmentId, async ({ tx, base, defaults }) => {
      if (input.proceed && !(await input.proceed(tx))) return null;
      const image = await tx.image.findFirst({ where: { id: input.imageId, app: { environments: { some: { id: input.environmentId } } } } });
      if (!image) throw notFound('image_not_found', `Image ${input.imageId} does not belong to this environment's app.`);
      return {
        imageId: image.id,
        config: await this.configVars.read(input.environmentId, tx),
        formation: formationForImage(processTypesOf(image.processTypes), (base?.formation ?? []).map(toLine), defaults),
        description: input.description ?? `Deploy ${image.commitSha.slice(0, 7)}`,
        createdById: input.createdById,
        buildId: input.buildId,
      };
    });
  }

  /**
   * ConfigReleaser: a config change makes a release with the config as the change leaves it,
   * written in the change's own transaction. Before the first image there is nothing to
   * release; the first build snapshots the config then.
   */
  async releaseConfigChange(tx: Prisma.TransactionClient, change: ConfigChange, config: Record<string, string>): Promise<ConfigChangeRelease | null> {
    const parts = [change.changed.length ? `Set ${change.changed.join(', ')}` : '', change.removed.length ? `unset ${change.removed.join(', ')}` : ''].filter(Boolean);
    if (!parts.length) return null;
    const description = parts.join('; ').replace(/^unset/, 'Unset');
    const release = await this.createIn(tx, change.environmentId, async ({ base }) => {
      if (!base?.imageId) return null;
      return { imageId: base.imageId, config, formation: base.formation.map(toLine), description, createdById: change.userId };
    });
    if (!release) return null;
    return { version: release.version, afterCommit: () => this.rollouts.rollOut(release.id) };
  }

  async formation(userId: string, appName: string, envName: string) {
    const { environment } = await this.access.environment(userId, appName, envName);
    const latest = await this.latest(environment.id);
    return presentFormation((latest?.formation ?? []).map(toLine).sort((a, b) => a.processType.localeCompare(b.processType)), this.config.placement.requestRatios);
  }

  /** PATCH formation: validated against the newest release's process types and the limits. */
  async scale(userId: string, appName: string, envName: string, body: unknown) {
    const { environment } = await this.access.environment(userId, appName, envName, 'member');
    let result: FormationLine[] = [];
    await this.create(environment.id, async ({ base }) => {
      if (!base?.imageId) {
        throw conflict('no_release', `Environment "${envName}" has nothing deployed yet, so it has no process types to scale. Push code first (git push), then change the formation.`);
      }
      const current = base.formation.map(toLine);
      const { formation, problems, changed } = applyFormationPatch(current, body, this.config.formation.max);
      if (Object.keys(problems).length) throw invalidInput(problems);
      result = formation;
      const before = new Map(current.map((line) => [line.processType, line]));
      const descriptions = changed.flatMap((type) => {
        const [was, now] = [before.get(type)!, formation.find((line) => line.processType === type)!];
        if (JSON.stringify(was) === JSON.stringify(now)) return [];
        const onlyQuantity = was.memoryMb === now.memoryMb && was.cpuMillis === now.cpuMillis && was.pidsLimit === now.pidsLimit && was.diskMb === now.diskMb;
        const sameRequests = was.memoryRequestMb === now.memoryRequestMb && was.cpuRequestMillis === now.cpuRequestMillis;
        if (onlyQuantity && !sameRequests && was.quantity === now.quantity) return [`Change the requests of ${type}`];
        return [onlyQuantity ? `Scale ${type} to ${now.quantity}` : `Resize ${describeLine(now)}`];
      });
      if (!descriptions.length) return null; // nothing changed: no new release
      return { imageId: base.imageId, config: this.openConfig(base), formation, description: descriptions.join('; '), createdById: userId };
    });
    return presentFormation(result, this.config.placement.requestRatios);
  }

  /**
   * A new release with the image and config of an earlier one. The environment's config vars
   * are set back to that config too, so the next change starts from what is running.
   */
  async rollback(userId: string, appName: string, envName: string, versionParam: string) {
    const { environment } = await this.access.environment(userId, appName, envName, 'member');
    const version = parseVersion(versionParam);
    const release = await this.create(environment.id, async ({ tx, base, defaults }) => {
      const target = version === null ? null : await tx.release.findUnique({ where: { environmentId_version: { environmentId: environment.id, version } }, include: { image: true, formation: true } });
      if (!target) throw notFound('release_not_found', `Environment "${envName}" has no release ${versionParam}. List them with GET /api/apps/${appName}/environments/${envName}/releases.`);
      if (!target.image) throw conflict('release_without_image', `Release v${target.version} has no image to roll back to.`);
      if (!servedOnce(target)) {
        const what = target.status === 'failed' ? 'failed' : target.status === 'superseded' ? 'was replaced before it served' : 'is still deploying';
        throw conflict(
          'release_never_served',
          `Release v${target.version} never served (it ${what}), so there is nothing known to work to go back to. Roll back to a release that served ("served": true in GET /api/apps/${appName}/environments/${envName}/releases), or redeploy the newest release.`,
        );
      }
      const config = this.openConfig(target);
      await this.configVars.replaceAll(environment.id, config, tx);
      // The formation stays as it is now, for the process types the old image has.
      const formation = formationForImage(processTypesOf(target.image.processTypes), (base?.formation ?? target.formation).map(toLine), defaults);
      return { imageId: target.image.id, config, formation, description: `Rollback to v${target.version}`, createdById: userId };
    });
    const created = await this.db.release.findUniqueOrThrow({ where: { id: release!.id }, include: { image: true, formation: true } });
    return this.present(created, await this.emails([created.createdById]));
  }

  /**
   * Retries the newest release as it is (a release that failed to roll out, or a restart of
   * every instance): a new release with its image, config and formation. Only the newest can
   * be redeployed; going back to an older one is a rollback.
   */
  async redeploy(userId: string, appName: string, envName: string, versionParam: string) {
    const { environment } = await this.access.environment(userId, appName, envName, 'member');
    const version = parseVersion(versionParam);
    const releasesUrl = `/api/apps/${appName}/environments/${envName}/releases`;
    const release = await this.create(environment.id, async ({ base }) => {
      if (!base || version === null || version > base.version) {
        throw notFound('release_not_found', `Environment "${envName}" has no release ${versionParam}. List them with GET ${releasesUrl}.`);
      }
      if (version !== base.version) {
        throw conflict(
          'not_newest_release',
          `v${version} is not the newest release of "${envName}" (v${base.version} is). Redeploy v${base.version}, or go back to v${version} with POST ${releasesUrl}/v${version}/rollback.`,
        );
      }
      if (!base.imageId) throw conflict('release_without_image', `Release v${base.version} has no image to deploy. Push code first (git push).`);
      return { imageId: base.imageId, config: this.openConfig(base), formation: base.formation.map(toLine), description: `Redeploy of v${base.version}`, createdById: userId };
    });
    const created = await this.db.release.findUniqueOrThrow({ where: { id: release!.id }, include: { image: true, formation: true } });
    return this.present(created, await this.emails([created.createdById]));
  }

  async list(userId: string, appName: string, envName: string) {
    const { environment } = await this.access.environment(userId, appName, envName);
    const releases = await this.db.release.findMany({
      where: { environmentId: environment.id },
      orderBy: { version: 'desc' },
      take: 100,
      include: { image: true, formation: true },
    });
    const emails = await this.emails(releases.map((r) => r.createdById));
    return releases.map((release) => this.present(release, emails));
  }

  private async emails(ids: (string | null)[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))];
    if (!wanted.length) return new Map();
    const users = await this.db.user.findMany({ where: { id: { in: wanted } }, select: { id: true, email: true } });
    return new Map(users.map((u) => [u.id, u.email]));
  }

  present(release: Release & { image?: Image | null; formation?: FormationEntry[] }, emails: Map<string, string>) {
    return {
      version: release.version,
      status: release.status,
      current: release.status === 'active',
      /** It served at its URL once: what a rollback can go back to. */
      served: servedOnce(release),
      description: release.description,
      failureReason: release.failureReason,
      image: release.image ? { id: release.image.id, digest: release.image.digest, commitSha: release.image.commitSha } : null,
      formation: release.formation ? presentFormation(release.formation.map(toLine), this.config.placement.requestRatios) : undefined,
      createdAt: release.createdAt,
      createdBy: release.createdById ? (emails.get(release.createdById) ?? null) : null,
    };
  }
}

/**
 * Whether a release became current once (and so served): the current one, or one a newer
 * release replaced after it served. A release replaced while it was still rolling out has the
 * reason it was superseded; a failed or deploying one never served.
 */
export function servedOnce(release: Pick<Release, 'status' | 'failureReason'>): boolean {
  return release.status === 'active' || (release.status === 'superseded' && release.failureReason === null);
}
