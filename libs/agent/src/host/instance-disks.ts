import { Injectable, Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BerthConfig } from '@berth/config';
import { ContainerEngine } from '@berth/engine';
import { LABELS } from '../container-spec';

/** Label on every disk volume Berth makes (its value: the container the disk is for). */
export const DISK_LABEL = 'berth.disk';

const exec = promisify(execFile);
/** mkfs.ext4 and debugfs live in sbin, which a non-login PATH may lack. */
const TOOLS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** A disk file with no volume is a disk being made, or the leftover of a crash once it is this old. */
const ORPHAN_AFTER_MS = 10 * 60_000;
/** A template no container started from for this long is removed. */
const TEMPLATE_IDLE_MS = 60 * 60_000;

/** What goes on a new disk: the image's files at `target`, as the engine copies them for `user`. */
export interface DiskContents {
  image: string;
  target: string;
  user: string;
}

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;
const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Each container's own disk: a sparse file of the instance's diskMb under
 * BERTH_DATA_DIR/disks, formatted ext4, and an engine volume that loop-mounts it (Podman's
 * local volume driver runs mount(8), so `o=loop` works and the loop device is released when
 * the volume is unmounted). The container mounts the volume at its working directory; the
 * engine copies the image's files there on first mount. The disk is written only as far as the
 * app writes, never beyond its size: a full disk is ENOSPC inside the container and nothing
 * on the host. Removing the container's disk removes the volume and the file.
 *
 * The engine's copy of many small files (node_modules) is slow, so it is done once per image
 * and size into a template disk (a container made and initialised, never started, through
 * Podman's libpod endpoint), and each new disk is a sparse copy of the template. Where that
 * fails (another engine), the disk starts empty and the engine copies at the container's start.
 */
@Injectable()
export class InstanceDisks {
  private readonly logger = new Logger(InstanceDisks.name);
  readonly dir: string;
  private readonly templates: string;
  private readonly making = new Map<string, Promise<void>>();

  constructor(
    private readonly engine: ContainerEngine,
    config: BerthConfig,
  ) {
    this.dir = join(config.dataDir, 'disks');
    this.templates = join(this.dir, 'templates');
  }

  volumeFor(containerName: string): string {
    return `${containerName}-disk`;
  }

  private fileOf(volume: string): string {
    return join(this.dir, `${volume}.img`);
  }

  /**
   * Makes a disk of `sizeMb` as volume `volume` (a leftover of that name is removed first):
   * a copy of the template for `contents`, or an empty one.
   */
  async create(volume: string, sizeMb: number, labels: Record<string, string>, contents?: DiskContents): Promise<void> {
    await this.remove(volume);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(volume);
    try {
      if (!(contents && (await this.copyTemplate(file, sizeMb, labels, contents)))) await this.format(file, sizeMb);
      await this.makeVolume(volume, file, labels);
    } catch (error) {
      await unlink(file).catch(() => undefined);
      throw error;
    }
  }

  private async format(file: string, sizeMb: number): Promise<void> {
    const handle = await open(file, 'w', 0o600);
    try {
      await handle.truncate(sizeMb * 1024 * 1024);
    } finally {
      await handle.close();
    }
    // No journal (the disk lives as long as its container), no blocks reserved for root, an
    // inode per 8 KiB (node_modules has many small files); inode tables are written lazily.
    await this.tool('mkfs.ext4', ['-q', '-F', '-m', '0', '-O', '^has_journal', '-T', 'default', '-i', '8192', '-E', 'lazy_itable_init=1,nodiscard', file]);
    // The engine copies the image's files onto an empty volume only; lost+found would count as content.
    await this.tool('debugfs', ['-w', '-R', 'rmdir lost+found', file]);
  }

  private async makeVolume(volume: string, file: string, labels: Record<string, string>): Promise<void> {
    await this.engine.api.createVolume({
      Name: volume,
      Driver: 'local',
      DriverOpts: { type: 'ext4', device: file, o: 'loop,nodev,nosuid' },
      Labels: { ...labels, [DISK_LABEL]: volume },
    });
  }

  /** Copies the template for `contents` (made first if there is none) to `file`; false when no template can be made. */
  private async copyTemplate(file: string, sizeMb: number, labels: Record<string, string>, contents: DiskContents): Promise<boolean> {
    const key = createHash('sha256').update(JSON.stringify([contents.image, contents.target, contents.user, sizeMb])).digest('hex').slice(0, 16);
    const template = join(this.templates, `${key}.img`);
    if (!(await stat(template).catch(() => null))) {
      let making = this.making.get(key);
      if (!making) {
        making = this.makeTemplate(template, sizeMb, labels, contents).finally(() => this.making.delete(key));
        this.making.set(key, making);
      }
      try {
        await making;
      } catch (error) {
        this.logger.warn(`no template disk for ${contents.image} (the engine copies its files at each start instead): ${(error as Error).message}`);
        return false;
      }
    }
    await this.tool('cp', ['--sparse=always', template, file]);
    const now = new Date();
    await utimes(template, now, now).catch(() => undefined);
    return true;
  }

  /** An empty disk the engine copies the image's files onto as it initialises a container that never starts. */
  private async makeTemplate(template: string, sizeMb: number, labels: Record<string, string>, contents: DiskContents): Promise<void> {
    const volume = `berth-template-${randomBytes(6).toString('hex')}`;
    const file = this.fileOf(volume);
    const { [LABELS.instance]: _instance, ...rest } = labels;
    let id: string | undefined;
    try {
      await this.format(file, sizeMb);
      await this.makeVolume(volume, file, rest);
      // The runtime checks at init that the command exists in the image (it never runs): the
      // image's own command always does, `true` only where the image has a shell's tools.
      const { Config } = await this.engine.api.getImage(contents.image).inspect();
      const ownCommand = Boolean(Config?.Entrypoint?.length || Config?.Cmd?.length);
      const container = await this.engine.api.createContainer({
        name: volume,
        Image: contents.image,
        User: contents.user,
        ...(ownCommand ? {} : { Cmd: ['true'] }),
        Labels: rest,
        HostConfig: { NetworkMode: 'none', ReadonlyRootfs: true, Mounts: [{ Type: 'volume', Source: volume, Target: contents.target }] },
      });
      id = container.id;
      await new Promise<void>((resolve, reject) =>
        this.engine.api.modem.dial(
          { path: `/v4.0.0/libpod/containers/${id}/init`, method: 'POST', statusCodes: { 204: true, 304: true, 404: 'no such container', 500: 'server error' } },
          (error: Error | null) => (error ? reject(error) : resolve()),
        ),
      );
    } catch (error) {
      await unlink(file).catch(() => undefined);
      throw error;
    } finally {
      if (id) await this.engine.api.getContainer(id).remove({ force: true }).catch(() => undefined);
      await this.engine.api.getVolume(volume).remove().catch(() => undefined);
    }
    await mkdir(this.templates, { recursive: true, mode: 0o700 });
    await rename(file, template);
  }

  /** Removes the volume (it must be unused) and its file; either one already gone is fine. */
  async remove(volume: string): Promise<void> {
    try {
      await this.engine.api.getVolume(volume).remove();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    await unlink(this.fileOf(volume)).catch((error) => {
      if (!isMissing(error)) throw error;
    });
  }

  /**
   * Removes the disks of containers that are gone (labelled `label`, e.g. berth.host=<this host>),
   * and disk files whose volume is long gone. A disk still in use is left alone: the disks of
   * `inUse` (instance ids whose container the caller knows exists) are not even tried (each
   * refused removal is a request, about 22 ms on Podman, and a prune of a host with 1,000
   * sleeping instances made a thousand of them a minute); any other is tried, and the engine's
   * "in use" (a container made since the caller looked) leaves it. A disk made in the last
   * ORPHAN_AFTER_MS is left for a later prune: its container may be being made.
   */
  async prune(label: string, inUse: ReadonlySet<string> = new Set()): Promise<void> {
    const { Volumes } = await this.engine.api.listVolumes({ filters: { label: [DISK_LABEL] } });
    const names = new Set((Volumes ?? []).map((v) => v.Name));
    const ours = (Volumes ?? []).filter((v) => {
      const [key, value] = label.split('=');
      const instance = v.Labels?.[LABELS.instance];
      // One made in the last minutes may be a disk whose container is being made (prunes run beside the rounds).
      const young = Date.now() - Date.parse((v as { CreatedAt?: string }).CreatedAt ?? '') < ORPHAN_AFTER_MS;
      return v.Labels?.[key] === value && !(instance && inUse.has(instance)) && !young;
    });
    for (const volume of ours) {
      try {
        await this.remove(volume.Name);
        names.delete(volume.Name);
      } catch (error) {
        // 409: a container still uses it.
        if (statusOf(error) !== 409) this.logger.warn(`could not remove disk ${volume.Name}: ${(error as Error).message}`);
      }
    }
    const files = await readdir(this.dir).catch(() => [] as string[]);
    for (const file of files) {
      if (!file.endsWith('.img') || names.has(file.slice(0, -4))) continue;
      const path = join(this.dir, file);
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > ORPHAN_AFTER_MS) await unlink(path).catch(() => undefined);
    }
    for (const file of await readdir(this.templates).catch(() => [] as string[])) {
      const path = join(this.templates, file);
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > TEMPLATE_IDLE_MS) await unlink(path).catch(() => undefined);
    }
  }

  private async tool(command: string, args: string[]): Promise<void> {
    try {
      await exec(command, args, { env: { PATH: TOOLS_PATH }, timeout: 60_000 });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error(`${command} is missing on this host: install e2fsprogs (npm run setup does)`);
      throw new Error(`${command} failed: ${(e.stderr || e.message).trim()}`);
    }
  }
}
