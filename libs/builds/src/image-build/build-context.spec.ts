import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { contextFiles, packBuildContext } from './build-context';

interface PackedEntry {
  type: string;
  mode: number;
  linkname: string | null;
  content: string;
}

/** The entries of a tar stream by name, as the engine would read them. */
async function entriesOf(tar: Readable): Promise<Record<string, PackedEntry>> {
  const entries: Record<string, PackedEntry> = {};
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('finish', resolve);
    reader.on('error', reject);
    tar.on('error', reject);
  });
  reader.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      entries[header.name] = { type: header.type ?? 'file', mode: (header.mode ?? 0) & 0o777, linkname: header.linkname ?? null, content: Buffer.concat(chunks).toString(header.name.endsWith('.bin') ? 'latin1' : 'utf8') };
      next();
    });
  });
  tar.pipe(reader);
  await done;
  return entries;
}

const BERTH_FILES = { '.berth/Containerfile': 'FROM stack\nCOPY . /app\n', '.berth/ca-bundle.crt': 'PEM' };

describe('the build context stream', () => {
  let base: string;
  let src: string;
  let host: string;
  const hostState = () => readdirSync(host).map((name) => [name, readFileSync(join(host, name), 'utf8')]);

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'berth-context-'));
    src = join(base, 'src');
    host = join(base, 'host');
    mkdirSync(join(src, 'public'), { recursive: true });
    mkdirSync(host);
    writeFileSync(join(host, 'secret'), 'host secret');
    writeFileSync(join(src, 'public/index.html'), '<h1>hi</h1>');
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('sends the source as it is with Berth files added, links as links', async () => {
    symlinkSync('/etc/passwd', join(src, 'passwd'));
    symlinkSync('public', join(src, 'site'));
    writeFileSync(join(src, '.dockerignore'), 'node_modules\n.berth');
    const big = randomBytes(1024 * 1024 + 5);
    writeFileSync(join(src, 'public/big.bin'), big);

    const files = await contextFiles(src, BERTH_FILES);
    const entries = await entriesOf(packBuildContext(src, files));
    expect(Object.keys(entries).sort()).toEqual(['.berth', '.berth/Containerfile', '.berth/ca-bundle.crt', '.dockerignore', 'passwd', 'public', 'public/big.bin', 'public/index.html', 'run.sh', 'site']);
    expect(Buffer.from(entries['public/big.bin'].content, 'latin1').equals(big)).toBe(true);
    expect(entries['public/index.html']).toMatchObject({ type: 'file', content: '<h1>hi</h1>', mode: 0o644 });
    expect(entries['run.sh'].mode).toBe(0o755);
    expect(entries.passwd).toMatchObject({ type: 'symlink', linkname: '/etc/passwd', content: '' });
    expect(entries.site).toMatchObject({ type: 'symlink', linkname: 'public' });
    expect(entries['.berth']).toMatchObject({ type: 'directory' });
    expect(entries['.berth/Containerfile'].content).toBe(BERTH_FILES['.berth/Containerfile']);
    expect(entries['.dockerignore'].content).toBe('node_modules\n.berth\n!.berth\n!.berth/**\n');
    // Nothing was written into the source on disk.
    expect(readdirSync(src).sort()).toEqual(['.dockerignore', 'passwd', 'public', 'run.sh', 'site']);
    expect(readFileSync(join(src, '.dockerignore'), 'utf8')).toBe('node_modules\n.berth');
  });

  it('replaces an app .berth (a link or a directory) and never reads or sends an ignore file that is a link', async () => {
    symlinkSync(host, join(src, '.berth'));
    symlinkSync(join(host, 'secret'), join(src, '.dockerignore'));
    symlinkSync('.dockerignore', join(src, '.containerignore'));

    const files = await contextFiles(src, BERTH_FILES);
    expect(Object.keys(files).sort()).toEqual(['.berth/Containerfile', '.berth/ca-bundle.crt']);
    const entries = await entriesOf(packBuildContext(src, files));
    expect(Object.keys(entries).sort()).toEqual(['.berth', '.berth/Containerfile', '.berth/ca-bundle.crt', 'public', 'public/index.html', 'run.sh']);
    expect(entries['.berth'].type).toBe('directory');
    expect(JSON.stringify(entries)).not.toContain('host secret');
    expect(hostState()).toEqual([['secret', 'host secret']]);

    rmSync(join(src, '.berth'));
    mkdirSync(join(src, '.berth'));
    writeFileSync(join(src, '.berth/Containerfile'), 'FROM evil');
    const again = await entriesOf(packBuildContext(src, files));
    expect(again['.berth/Containerfile'].content).toBe(BERTH_FILES['.berth/Containerfile']);
    expect(readFileSync(join(src, '.berth/Containerfile'), 'utf8')).toBe('FROM evil');
  });

  it('keeps Berth files under .berth', async () => {
    await expect(contextFiles(src, { 'Containerfile': 'x' })).rejects.toThrow(/belong under \.berth\//);
  });
});
