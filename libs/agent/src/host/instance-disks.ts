import { Injectable, Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BerthConfig } from '@berth/config';
import { ContainerEngine } from '@berth/engine';

/** Label on every disk volume Berth makes (its value: the container the disk is for). */
export const DISK_LABEL = 'berth.disk';

const exec = promisify(execFile);
/** mkfs.ext4 and debugfs live in sbin, which a non-login PATH may lack. */
const TOOLS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** A disk file with no volume is a disk being made, or the leftover of a crash once it is this old. */
const ORPHAN_AFTER_MS = 10 * 60_000;

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
 */
@Injectable()
export class InstanceDisks {
  private readonly logger = new Logger(InstanceDisks.name);
  readonly dir: string;

  constructor(
    private readonly engine: ContainerEngine,
    config: BerthConfig,
  ) {
    this.dir = join(config.dataDir, 'disks');
  }

  volumeFor(containerName: string): string {
    return `${containerName}-disk`;
  }

  private fileOf(volume: string): string {
    return join(this.dir, `${volume}.img`);
  }

  /** Makes an empty disk of `sizeMb` as volume `volume` (a leftover of that name is removed first). */
  async create(volume: string, sizeMb: number, labels: Record<string, string>): Promise<void> {
    await this.remove(volume);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(volume);
    try {
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
      await this.engine.api.createVolume({
        Name: volume,
        Driver: 'local',
        DriverOpts: { type: 'ext4', device: file, o: 'loop,nodev,nosuid' },
        Labels: { ...labels, [DISK_LABEL]: volume },
      });
    } catch (error) {
      await unlink(file).catch(() => undefined);
      throw error;
    }
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
   * and disk files whose volume is long gone. A disk still in use is left alone.
   */
  async prune(label: string): Promise<void> {
    const { Volumes } = await this.engine.api.listVolumes({ filters: { label: [DISK_LABEL] } });
    const names = new Set((Volumes ?? []).map((v) => v.Name));
    const ours = (Volumes ?? []).filter((v) => {
      const [key, value] = label.split('=');
      return v.Labels?.[key] === value;
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
