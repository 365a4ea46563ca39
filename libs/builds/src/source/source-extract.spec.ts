import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Headers, pack } from 'tar-stream';
import { BuildFailure } from '../buildpacks/build-failure';
import { extractSource, SourceLimits } from './source-extract';

type Entry = Headers & { content?: string | Buffer };

/** A tar made of `entries`, in that order (as a hostile pusher could make one). */
function tarOf(entries: Entry[]): Readable {
  const tar = pack();
  void (async () => {
    for (const { content, ...header } of entries) {
      await new Promise<void>((resolve, reject) => {
        if (content !== undefined) tar.entry({ type: 'file', mode: 0o644, ...header }, content, (error) => (error ? reject(error) : resolve()));
        else tar.entry({ mode: 0o755, ...header }, (error) => (error ? reject(error) : resolve()));
      });
    }
    tar.finalize();
  })();
  return tar;
}

const LIMITS: SourceLimits = { bytes: 1024 * 1024, files: 100 };

describe('extractSource', () => {
  let base: string;
  /** Where the source is unpacked: base/builds/b1/src, four levels below base like the builder's. */
  let dest: string;
  /** A directory of the "host" beside the destination, holding a sentinel. */
  let outside: string;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'berth-extract-'));
    dest = join(base, 'data', 'builds', 'b1', 'src');
    mkdirSync(dest, { recursive: true });
    outside = join(base, 'host');
    mkdirSync(outside);
    writeFileSync(join(outside, 'sentinel'), 'host secret');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const unpack = (entries: Entry[], limits = LIMITS) => extractSource(tarOf(entries), dest, limits);
  const hostUntouched = () => {
    expect(readdirSync(outside)).toEqual(['sentinel']);
    expect(readFileSync(join(outside, 'sentinel'), 'utf8')).toBe('host secret');
  };

  it('unpacks files, directories, modes, links as links and hard links inside the tree', async () => {
    await unpack([
      { name: 'app/', type: 'directory' },
      { name: 'app/server.js', content: 'listen()' },
      { name: 'bin/run', content: '#!/bin/sh', mode: 0o755 },
      { name: 'current', type: 'symlink', linkname: 'app' },
      { name: 'data', type: 'symlink', linkname: '/var/lib/data' },
      { name: 'copy.js', type: 'link', linkname: 'app/server.js' },
    ]);
    expect(readFileSync(join(dest, 'app/server.js'), 'utf8')).toBe('listen()');
    expect(statSync(join(dest, 'bin/run')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dest, 'app/server.js')).mode & 0o777).toBe(0o644);
    expect(readlinkSync(join(dest, 'current'))).toBe('app');
    expect(readlinkSync(join(dest, 'data'))).toBe('/var/lib/data'); // kept as it is, never followed
    expect(statSync(join(dest, 'copy.js')).ino).toBe(statSync(join(dest, 'app/server.js')).ino);
  });

  it('unpacks a file of many chunks whole', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    await unpack([{ name: 'media/big.bin', content: data }], { bytes: 4 * 1024 * 1024, files: 1 });
    expect(readFileSync(join(dest, 'media/big.bin')).equals(data)).toBe(true);
  });

  it('never writes through a chain of relative links that leaves the tree', async () => {
    const up = '../'.repeat(4); // from the chain's end back to the tree's root, then out of it
    const entries: Entry[] = [
      { name: 'z/z/z/z/s', type: 'symlink', linkname: '../../../..' },
      { name: '.berth', type: 'symlink', linkname: `z/z/z/z/s/${up}host` },
      { name: '.berth/Containerfile', content: 'FROM scratch' },
    ];
    const failure = await unpack(entries).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(BuildFailure);
    expect((failure as Error).message).toMatch(/"\.berth", which is a symbolic link/);
    hostUntouched();
  });

  it('never writes through an absolute link, a link to a link, or a link made by an earlier entry of the same name', async () => {
    await expect(unpack([{ name: 'a', type: 'symlink', linkname: outside }, { name: 'a/x', content: 'pwned' }])).rejects.toThrow(/symbolic link/);
    await expect(unpack([{ name: 'b', type: 'symlink', linkname: outside }, { name: 'c', type: 'symlink', linkname: 'b' }, { name: 'c/x', content: 'pwned' }])).rejects.toThrow(/symbolic link/);
    await expect(unpack([{ name: 'd', type: 'symlink', linkname: join(outside, 'sentinel') }, { name: 'd', content: 'pwned' }])).rejects.toThrow(/appears twice/);
    await expect(unpack([{ name: 'e', type: 'symlink', linkname: outside }, { name: 'e', type: 'directory' }, { name: 'e/x', content: 'pwned' }])).rejects.toThrow(/symbolic link/);
    hostUntouched();
    expect(lstatSync(join(dest, 'd')).isSymbolicLink()).toBe(true);
  });

  it('refuses names outside the tree and hard links to anything but a file of the tree', async () => {
    await expect(unpack([{ name: '../../../../host/x', content: 'pwned' }])).rejects.toThrow(/outside its own tree/);
    await expect(unpack([{ name: `${outside}/x`, content: 'pwned' }])).rejects.toThrow(/outside its own tree/);
    await expect(unpack([{ name: 'h', type: 'link', linkname: '../../../../host/sentinel' }])).rejects.toThrow(/outside its own tree/);
    await expect(unpack([{ name: 'h', type: 'link', linkname: join(outside, 'sentinel') }])).rejects.toThrow(/outside its own tree/);
    await expect(unpack([{ name: 's', type: 'symlink', linkname: join(outside, 'sentinel') }, { name: 'h2', type: 'link', linkname: 's' }])).rejects.toThrow(/not a file of the source/);
    await expect(unpack([{ name: 'q', type: 'symlink', linkname: outside }, { name: 'h3', type: 'link', linkname: 'q/sentinel' }])).rejects.toThrow(/not a file of the source/);
    await expect(unpack([{ name: 'fifo', type: 'fifo' }])).rejects.toThrow(/fifo, which a build cannot hold/);
    hostUntouched();
    expect(existsSync(join(dest, 'h'))).toBe(false);
  });

  it('stops at the file count and size limits, naming them', async () => {
    const many: Entry[] = Array.from({ length: 4 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    await expect(unpack(many, { bytes: 1024, files: 3 })).rejects.toThrow(/more than 3 files, this server's limit \(BUILD_MAX_SOURCE_FILES\)/);
    expect(existsSync(join(dest, 'f3'))).toBe(false);

    const big: Entry[] = [{ name: 'zeros.bin', content: Buffer.alloc(2 * 1024 * 1024) }];
    await expect(extractSource(tarOf(big), join(base, 'big'), { bytes: 1024 * 1024, files: 10 })).rejects.toThrow(/larger than 1 MiB unpacked, this server's limit \(BUILD_MAX_SOURCE_MB\)/);
    expect(existsSync(join(base, 'big', 'zeros.bin'))).toBe(false);
  });
});
