import { constants } from 'node:fs';
import { FileHandle, lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, Pack } from 'tar-stream';
import { BERTH_DIR } from '../buildpacks/build-plan';

/** Ignore files the engine reads from the context root (Podman prefers .containerignore). */
export const IGNORE_FILES = ['.dockerignore', '.containerignore'];

/** Lines added to an app's ignore file, so it cannot hide Berth's own files from the engine. */
const KEEP_BERTH_FILES = `\n!${BERTH_DIR}\n!${BERTH_DIR}/**\n`;

const CHUNK_BYTES = 256 * 1024;

/** Largest ignore file Berth reads to amend; a bigger one is not an ignore file anyone wrote. */
const MAX_IGNORE_BYTES = 1024 * 1024;

/**
 * Berth's files for a build context, by path: the plan's files and Containerfile (all under
 * .berth/) and, where the app has one as a regular file at its root, its ignore file with
 * Berth's files kept. An ignore file that is a link or anything else is not read (it could
 * name a file of the host) and is left out of the context.
 */
export async function contextFiles(root: string, files: Record<string, string>): Promise<Record<string, string>> {
  for (const path of Object.keys(files)) {
    if (!path.startsWith(`${BERTH_DIR}/`)) throw new Error(`Berth's build files belong under ${BERTH_DIR}/ (got ${path})`);
  }
  const out: Record<string, string> = { ...files };
  for (const name of IGNORE_FILES) {
    const text = await readRegularFile(join(root, name), MAX_IGNORE_BYTES);
    if (text !== null) out[name] = `${text}${KEEP_BERTH_FILES}`;
  }
  return out;
}

/** A regular file's text, never through a link (O_NOFOLLOW), or null. */
async function readRegularFile(path: string, maxBytes: number): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > maxBytes) return null;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * The build context the engine receives, as a tar stream made here: the unpacked source as it
 * is on disk, read with lstat and O_NOFOLLOW so a symbolic link travels as a link (the engine
 * copies it as Docker does) and is never followed on the host, and Berth's files (`files`,
 * from contextFiles) added as entries of the stream. Any entry of the app's at .berth or at an
 * ignore file's path is left out: Berth's take their place. Nothing is written to the source.
 */
export function packBuildContext(root: string, files: Record<string, string>): Readable {
  const pack = tarPack();
  const replaced = new Set([BERTH_DIR, ...IGNORE_FILES]);
  void (async () => {
    const names = (await readdir(root)).filter((name) => !replaced.has(name)).sort();
    for (const name of names) await addTree(pack, root, name);
    await addFiles(pack, files);
    pack.finalize();
  })().catch((error: Error) => pack.destroy(error));
  return pack;
}

/** One path of the source and, for a directory, everything under it. */
async function addTree(pack: Pack, root: string, name: string): Promise<void> {
  const path = join(root, name);
  const stats = await lstat(path);
  const base = { name, mode: stats.mode & 0o7777, mtime: stats.mtime };
  if (stats.isSymbolicLink()) {
    await entry(pack, { ...base, type: 'symlink', linkname: await readlink(path) });
  } else if (stats.isDirectory()) {
    await entry(pack, { ...base, type: 'directory' });
    for (const child of (await readdir(path)).sort()) await addTree(pack, root, `${name}/${child}`);
  } else if (stats.isFile()) {
    await addFile(pack, path, base);
  }
  // Anything else (a socket, a FIFO) cannot come from a git tree and is left out.
}

async function addFile(pack: Pack, path: string, base: { name: string; mode: number; mtime: Date }): Promise<void> {
  // O_NOFOLLOW: should the path have become a link since lstat, opening fails instead of following it.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const { size } = await handle.stat();
    if (size === 0) return await entry(pack, { ...base, type: 'file' }, Buffer.alloc(0));
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ ...base, type: 'file', size }, (error) => (error ? reject(error) : resolve()));
      pipeline(Readable.from(chunksOf(handle, size)), sink).catch(reject);
    });
  } finally {
    await handle.close();
  }
}

/** The first `size` bytes of an open file. */
async function* chunksOf(handle: FileHandle, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < size; ) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - at));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
    if (bytesRead === 0) return; // shorter than it was: the tar entry's size check fails the build
    at += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** Berth's files, with the directories above them. */
async function addFiles(pack: Pack, files: Record<string, string>): Promise<void> {
  const mtime = new Date();
  const dirs = new Set<string>();
  for (const path of Object.keys(files).sort()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      await entry(pack, { name: dir, type: 'directory', mode: 0o755, mtime });
    }
    await entry(pack, { name: path, type: 'file', mode: 0o644, mtime }, Buffer.from(files[path]));
  }
}

function entry(pack: Pack, header: Parameters<Pack['entry']>[0], content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    if (content) pack.entry(header, content, done);
    else pack.entry(header, done);
  });
}
