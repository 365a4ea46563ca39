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

/**
 * The engine's volumes, in memory; removing one in use fails with 409 as Podman's does.
 * Initialising a container copies "the image's files" (one file, app.js) onto its volume.
 */
function fakeEngine(dataDir: string) {
  const volumes = new Map<string, FakeVolume>();
  /** Every volume removal asked of the engine, by name. */
  const removals: string[] = [];
  const containers = new Map<string, { volume: string }>();
  const calls = { init: 0, initFails: false, commands: [] as (string[] | undefined)[] };
  /** Images and their own command (`localhost/berth/a:1` is a Node app's; `bare:1` has none). */
  const images: Record<string, { Cmd: string[] | null; Entrypoint: string[] | null }> = {
    'localhost/berth/a:1': { Cmd: ['node', 'app.js'], Entrypoint: null },
    'bare:1': { Cmd: null, Entrypoint: null },
  };
  const api = {
    getImage: (name: string) => ({ inspect: async () => ({ Config: images[name] }) }),
    createContainer: async (options: { name: string; Cmd?: string[]; HostConfig: { Mounts: { Source: string }[] } }) => {
      calls.commands.push(options.Cmd);
      containers.set(options.name, { volume: options.HostConfig.Mounts[0].Source });
      volumes.get(options.HostConfig.Mounts[0].Source)!.inUse = true;
      return { id: options.name };
    },
    getContainer: (id: string) => ({
      remove: async () => {
        volumes.get(containers.get(id)!.volume)!.inUse = false;
        containers.delete(id);
      },
    }),
    modem: {
      dial: (options: { path: string }, done: (error: Error | null) => void) => {
        calls.init++;
        if (calls.initFails) return done(new Error('not Podman'));
        const id = /containers\/([^/]+)\/init$/.exec(options.path)![1];
        const source = join(dataDir, 'app.js');
        writeFileSync(source, 'console.log(1)\n');
        execFileSync('debugfs', ['-w', '-R', `write ${source} app.js`, volumes.get(containers.get(id)!.volume)!.DriverOpts.device], { stdio: 'ignore' });
        done(null);
      },
    },
    createVolume: async (options: FakeVolume) => void volumes.set(options.Name, { ...options }),
    getVolume: (name: string) => ({
      remove: async () => {
        removals.push(name);
        const volume = volumes.get(name);
        if (!volume) throw Object.assign(new Error('no such volume'), { statusCode: 404 });
        if (volume.inUse) throw Object.assign(new Error('volume is being used'), { statusCode: 409 });
        volumes.delete(name);
      },
    }),
    listVolumes: async () => ({ Volumes: [...volumes.values()].filter((v) => v.Labels[DISK_LABEL]) }),
  };
  return { volumes, removals, calls, engine: { api } as unknown as ContainerEngine };
}

describe('instance disks', () => {
  let dataDir: string;
  let disks: InstanceDisks;
  let volumes: Map<string, FakeVolume>;
  let removals: string[];
  let calls: ReturnType<typeof fakeEngine>['calls'];
  const fileOf = (volume: string) => join(dataDir, 'disks', `${volume}.img`);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-disks-'));
    const fake = fakeEngine(dataDir);
    volumes = fake.volumes;
    removals = fake.removals;
    calls = fake.calls;
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

  it("copies the image's files onto a template once per image and size, and each disk from it", async () => {
    const contents = { image: 'localhost/berth/a:1', target: '/app', user: 'app' };
    const files = (volume: string) => execFileSync('debugfs', ['-R', 'ls /', fileOf(volume)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    await Promise.all([disks.create('berth-h-1-disk', 64, { 'berth.instance': '1' }, contents), disks.create('berth-h-2-disk', 64, {}, contents)]);
    await disks.create('berth-h-3-disk', 64, {}, contents);
    expect(calls.init).toBe(1);
    for (const volume of ['berth-h-1-disk', 'berth-h-2-disk', 'berth-h-3-disk']) expect(files(volume)).toContain('app.js');
    expect(statSync(fileOf('berth-h-3-disk')).blocks * 512).toBeLessThan(8 * 1024 * 1024);
    // The template's own container and volume are gone; the template stays for the next start.
    expect([...volumes.keys()].sort()).toEqual(['berth-h-1-disk', 'berth-h-2-disk', 'berth-h-3-disk']);
    expect(readdirSync(join(dataDir, 'disks', 'templates'))).toHaveLength(1);
    await disks.create('berth-h-4-disk', 128, {}, contents);
    expect(calls.init).toBe(2);
  });

  it("makes the template's container with the image's own command, which the runtime finds at init (`true` only for an image without one)", async () => {
    await disks.create('berth-h-1-disk', 64, {}, { image: 'localhost/berth/a:1', target: '/app', user: 'app' });
    await disks.create('berth-h-2-disk', 64, {}, { image: 'bare:1', target: '/app', user: 'app' });
    expect(calls.commands).toEqual([undefined, ['true']]);
  });

  it('starts a disk empty when no template can be made (the engine copies at the start)', async () => {
    calls.initFails = true;
    await disks.create('berth-h-1-disk', 64, {}, { image: 'localhost/berth/a:1', target: '/app', user: 'app' });
    expect(execFileSync('debugfs', ['-R', 'ls /', fileOf('berth-h-1-disk')], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).not.toContain('app.js');
    expect([...volumes.keys()]).toEqual(['berth-h-1-disk']);
    expect(readdirSync(join(dataDir, 'disks')).sort()).toEqual(['berth-h-1-disk.img']);
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

  it('does not ask the engine to remove the disks of instances whose containers it is told exist, nor one made minutes ago', async () => {
    await disks.create('berth-h-1-disk', 64, { 'berth.host': 'h', 'berth.instance': 'i-1' });
    await disks.create('berth-h-2-disk', 64, { 'berth.host': 'h', 'berth.instance': 'i-2' });
    await disks.create('berth-h-3-disk', 64, { 'berth.host': 'h', 'berth.instance': 'i-3' });
    await disks.create('berth-h-4-disk', 64, { 'berth.host': 'h', 'berth.instance': 'i-4' });
    volumes.get('berth-h-3-disk')!.inUse = true; // a container made since the caller listed
    // Made a moment ago: its container may be being made.
    Object.assign(volumes.get('berth-h-4-disk')!, { CreatedAt: new Date().toISOString() });
    removals.length = 0;

    await disks.prune('berth.host=h', new Set(['i-2']));
    expect(removals.sort()).toEqual(['berth-h-1-disk', 'berth-h-3-disk']);
    expect([...volumes.keys()].sort()).toEqual(['berth-h-2-disk', 'berth-h-3-disk', 'berth-h-4-disk']);
  });
});
