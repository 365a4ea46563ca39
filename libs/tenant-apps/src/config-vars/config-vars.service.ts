import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { configKeyProblem, invalidInput, SecretBox, tooLarge } from '@berth/common';
import { Prisma, PrismaService } from '@berth/db';
import { AppAccess } from '../app-access.service';
import { ConfigChange, ConfigChangeRelease, ConfigReleaser } from './config-releaser';

export type ConfigPatch = Record<string, string | null>;

/** Per-environment config vars, encrypted at rest. Reads and writes need the member role. */
@Injectable()
export class ConfigVarsService {
  private releaser: ConfigReleaser | null = null;

  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
    private readonly box: SecretBox,
    private readonly config: BerthConfig,
  ) {}

  /** Called by the provider of releases at start; without one, config changes make no release. */
  useReleaser(releaser: ConfigReleaser): void {
    this.releaser = releaser;
  }

  /** Decrypted config of an environment, keys sorted. Callers must have checked access. */
  async read(environmentId: string, tx: Prisma.TransactionClient = this.db): Promise<Record<string, string>> {
    const rows = await tx.configVar.findMany({ where: { environmentId }, orderBy: { key: 'asc' } });
    return Object.fromEntries(rows.map((row) => [row.key, this.box.open(row.valueEncrypted)]));
  }

  /**
   * Replaces the whole config of an environment (a rollback restores the config of the release
   * it returns to). Runs in the caller's transaction, which must hold the environment's lock.
   */
  async replaceAll(environmentId: string, vars: Record<string, string>, tx: Prisma.TransactionClient): Promise<void> {
    await tx.configVar.deleteMany({ where: { environmentId } });
    const data = Object.entries(vars).map(([key, value]) => ({ environmentId, key, valueEncrypted: this.box.seal(value) }));
    if (data.length) await tx.configVar.createMany({ data });
  }

  /**
   * Copies one environment's config to another that has none yet (a new preview starts with
   * production's). Ciphertexts are copied as they are: same key, and each is still its own
   * sealed value. Runs in the caller's transaction.
   */
  async copy(fromEnvironmentId: string, toEnvironmentId: string, tx: Prisma.TransactionClient): Promise<void> {
    const rows = await tx.configVar.findMany({ where: { environmentId: fromEnvironmentId }, select: { key: true, valueEncrypted: true } });
    if (rows.length) await tx.configVar.createMany({ data: rows.map((v) => ({ environmentId: toEnvironmentId, key: v.key, valueEncrypted: v.valueEncrypted })) });
  }

  async get(userId: string, appName: string, envName: string) {
    const { environment } = await this.access.environment(userId, appName, envName, 'member');
    return this.read(environment.id);
  }

  /** Checks a PATCH body: an object of POSIX names to strings (set) or null (unset). */
  validatePatch(body: unknown): ConfigPatch {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalidInput({ body: 'must be a JSON object such as {"KEY": "value", "OLD": null}' });
    }
    const fields: Record<string, string> = {};
    const entries = Object.entries(body as Record<string, unknown>);
    if (entries.length > this.config.api.configMaxVars) fields.body = `may change at most ${this.config.api.configMaxVars} vars at once`;
    for (const [key, value] of entries) {
      const keyProblem = configKeyProblem(key);
      if (keyProblem) fields[key] = keyProblem;
      else if (value !== null && typeof value !== 'string') fields[key] = 'must be a string, or null to unset it';
      else if (typeof value === 'string' && Buffer.byteLength(value) > this.config.api.configMaxValueBytes) {
        fields[key] = `is larger than ${this.config.api.configMaxValueBytes} bytes`;
      } else if (typeof value === 'string' && value.includes('\0')) fields[key] = 'may not contain NUL characters';
    }
    if (Object.keys(fields).length) throw invalidInput(fields);
    return body as ConfigPatch;
  }

  /**
   * Sets and unsets vars, and writes the release that carries the new config, in one
   * transaction. The environment row is locked first so concurrent changes (and releases, which
   * take the same lock) apply one after the other and the count limit holds. The writes are
   * set-based (one DELETE for the unset keys, one INSERT … ON CONFLICT for the set ones), so a
   * change of CONFIG_MAX_VARS vars takes a few statements, like a change of one.
   */
  async patch(userId: string, appName: string, envName: string, body: unknown) {
    const patch = this.validatePatch(body);
    const { app, environment } = await this.access.environment(userId, appName, envName, 'member');
    const set = Object.entries(patch).filter((entry): entry is [string, string] => entry[1] !== null);
    const unset = Object.keys(patch).filter((key) => patch[key] === null);
    const keys = set.map(([key]) => key);
    const sealed = set.map(([, value]) => this.box.seal(value));
    const change: ConfigChange = { appId: app.id, environmentId: environment.id, userId, changed: keys, removed: unset };

    const { config, release } = await this.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Environment" WHERE id = ${environment.id}::uuid FOR UPDATE`;
      const existing = await tx.configVar.findMany({ where: { environmentId: environment.id }, select: { key: true } });
      const after = new Set([...existing.map((row) => row.key), ...change.changed]);
      unset.forEach((key) => after.delete(key));
      if (after.size > this.config.api.configMaxVars) {
        throw tooLarge('too_many_config_vars', `An environment may have at most ${this.config.api.configMaxVars} config vars; this change would leave ${after.size}. Unset some first.`);
      }
      if (unset.length) await tx.configVar.deleteMany({ where: { environmentId: environment.id, key: { in: unset } } });
      if (keys.length) {
        // One statement for any number of vars: Prisma's upsert is a round trip per var.
        await tx.$executeRaw`
          INSERT INTO "ConfigVar" ("id", "environmentId", "key", "valueEncrypted", "updatedAt")
          SELECT gen_random_uuid(), ${environment.id}::uuid, key, value, now()
          FROM unnest(${keys}::text[], ${sealed}::text[]) AS vars(key, value)
          ON CONFLICT ("environmentId", "key") DO UPDATE SET "valueEncrypted" = EXCLUDED."valueEncrypted", "updatedAt" = EXCLUDED."updatedAt"`;
      }
      const config = await this.read(environment.id, tx);
      const release: ConfigChangeRelease | null = this.releaser ? await this.releaser.releaseConfigChange(tx, change, config) : null;
      return { config, release };
    });
    await release?.afterCommit();
    return config;
  }
}
