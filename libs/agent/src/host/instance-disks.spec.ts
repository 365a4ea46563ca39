import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BerthConfig } from '@berth/config';
import type { ContainerEngine } from '@berth/engine';
import { DISK_LABEL, InstanceDisks } from './instance-disks';

interface FakeVolume {
  Name: string;
  Labels: Record<string, string>;
  DriverOpts: Record<string, string>;
  inUse?: boolean;
}

/** The engine's volumes, in memory; removing one in use fails with 409 as Podman's does. */
function fakeEngine() {
  const volumes = new Map<string, FakeVolume>();
  const api = {
    createVolume: async (options: FakeVolume) => void volumes.set(options.Name, { ...options }),
    getVolume: (name: string) => ({
      remove: async () => {
        const volume = volumes.get(name);
        if (!volume) throw Object.assign(new Error('no such volume'), { statusCode: 404 });
        if (volume.inUse) throw Object.assign(new Error('volume is being used'), { statusCode: 409 });
        volumes.delete(name);
      },
    }),
    listVolumes: async () => ({ Volumes: [...volumes.values()].filter((v) => v.Labels[DISK_LABEL]) }),
  };
  return { volumes, engine: { api } as unknown as ContainerEngine };
}

describe('instance disks', () => {
  let dataDir: string;
  let disks: InstanceDisks;
  let volumes: Map<string, FakeVolume>;
  const fileOf = (volume: string) => join(dataDir, 'disks', `${volume}.img`);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-disks-'));
    const fake = fakeEngine();
    volumes = fake.volumes;
    disks = new InstanceDisks(fake.engine, { dataDir } as BerthConfig);
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('makes an empty ext4 file system of the size asked for, sparse, loop-mounted by a labelled volume', async () => {
    await disks.create('berth-h-1-disk', 64, { 'berth.host': 'h', 'berth.instance': '1' });
    const file = fileOf('berth-h-1-disk');
    expect(statSync(file).size).toBe(64 * 1024 * 1024);
    expect(statSync(file).blocks * 512).toBeLessThan(8 * 1024 * 1024);
    expect(volumes.get('berth-h-1-disk')).toEqual({
      Name: 'berth-h-1-disk',
      Driver: 'local',
      DriverOpts: { type: 'ext4', device: file, o: 'loop,nodev,nosuid' },
      Labels: { 'berth.host': 'h', 'berth.instance': '1', [DISK_LABEL]: 'berth-h-1-disk' },
    });
    // Empty, so the engine copies the image's files onto it: not even lost+found.
    const listing = execFileSync('debugfs', ['-R', 'ls -l /', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(listing).not.toContain('lost+found');
    expect(execFileSync('dumpe2fs', ['-h', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toMatch(/Reserved block count:\s+0\n/);
  });

  it('removes the volume and its file, and a leftover of the same name before making it again', async () => {
    await disks.create('berth-h-1-disk', 64, {});
    writeFileSync(fileOf('berth-h-1-disk'), 'stale');
    await disks.create('berth-h-1-disk', 64, {});
    expect(statSync(fileOf('berth-h-1-disk')).size).toBe(64 * 1024 * 1024);
    await disks.remove('berth-h-1-disk');
    expect(volumes.size).toBe(0);
    expect(existsSync(fileOf('berth-h-1-disk'))).toBe(false);
    await disks.remove('berth-h-1-disk'); // gone already: fine
  });

  it('leaves nothing behind when the file system cannot be made', async () => {
    await expect(disks.create('berth-h-2-disk', 0, {})).rejects.toThrow(/mkfs.ext4 failed/);
    expect(volumes.size).toBe(0);
    expect(readdirSync(join(dataDir, 'disks'))).toEqual([]);
  });

  it("prunes this host's unused disks and old files without a volume; disks in use and other hosts' stay", async () => {
    await disks.create('berth-h-1-disk', 64, { 'berth.host': 'h' });
    await disks.create('berth-h-2-disk', 64, { 'berth.host': 'h' });
    await disks.create('berth-other-3-disk', 64, { 'berth.host': 'other' });
    volumes.get('berth-h-2-disk')!.inUse = true;
    mkdirSync(join(dataDir, 'disks'), { recursive: true });
    writeFileSync(fileOf('orphan-old'), '');
    utimesSync(fileOf('orphan-old'), new Date(0), new Date(0));
    writeFileSync(fileOf('being-made'), '');

    await disks.prune('berth.host=h');
    expect([...volumes.keys()].sort()).toEqual(['berth-h-2-disk', 'berth-other-3-disk']);
    expect(readdirSync(join(dataDir, 'disks')).sort()).toEqual(['being-made.img', 'berth-h-2-disk.img', 'berth-other-3-disk.img']);
  });
});
