import { Stats } from 'node:fs';
import { link, lstat, mkdir, open, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, Headers } from 'tar-stream';
import { BuildFailure } from '../buildpacks/build-failure';

/** How much source one build may unpack (BUILD_MAX_SOURCE_MB, BUILD_MAX_SOURCE_FILES). */
export interface SourceLimits {
  bytes: number;
  /** Files, symbolic links and hard links; directories are not counted. */
  files: number;
}

/**
 * Unpacks a pushed commit's tar into `dest` (an empty directory Berth made) so that nothing
 * lands outside it. The tar is hostile: every entry's parent directories must be real
 * directories made by this extraction (never a symbolic link, whichever entry made it), every
 * entry is created anew (an entry that exists already fails rather than being replaced or
 * written through), names with `..` or a leading `/` are refused, symbolic links are created
 * as they are and never followed, and hard links may only name a regular file already
 * unpacked. Sizes and counts are held to `limits` before anything is written.
 */
export async function extractSource(tar: Readable, dest: string, limits: SourceLimits): Promise<void> {
  const unpacker = new Unpacker(dest, limits);
  const extractor = tarExtract();
  extractor.on('entry', (header: Headers, stream: Readable, next: (error?: unknown) => void) => {
    unpacker.entry(header, stream).then(
      () => next(),
      (error) => {
        stream.resume();
        next(error);
      },
    );
  });
  await pipeline(tar, extractor);
}

const MiB = 1024 * 1024;
const formatMb = (bytes: number) => {
  const mb = bytes / MiB;
  return mb >= 10 ? mb.toFixed(0) : mb.toFixed(2).replace(/\.?0+$/, '');
};

/** The message a source over the size limit fails with (at push time and when unpacking). */
export function sourceTooLarge(limits: SourceLimits, what: 'bytes' | 'files', subject = 'The source'): string {
  return what === 'bytes'
    ? `${subject} is larger than ${formatMb(limits.bytes)} MiB unpacked, this server's limit (BUILD_MAX_SOURCE_MB). Keep large files out of the repository (build artifacts, media, data, node_modules), or ask the operator for a higher limit.`
    : `${subject} holds more than ${limits.files} files, this server's limit (BUILD_MAX_SOURCE_FILES). Keep generated files out of the repository (node_modules, build output), or ask the operator for a higher limit.`;
}

class Unpacker {
  /** Directories this extraction made or found as real directories; `''` is the root. */
  private readonly directories = new Set<string>(['']);
  private files = 0;
  private bytes = 0;

  constructor(
    private readonly root: string,
    private readonly limits: SourceLimits,
  ) {}

  async entry(header: Headers, data: Readable): Promise<void> {
    const parts = relativeParts(header.name);
    const name = parts.join('/');
    const type = header.type ?? 'file';
    if (type !== 'directory') {
      if (++this.files > this.limits.files) throw new BuildFailure(sourceTooLarge(this.limits, 'files'));
    }
    if (type === 'file' || type === 'contiguous-file') {
      this.bytes += header.size ?? 0;
      if (this.bytes > this.limits.bytes) throw new BuildFailure(sourceTooLarge(this.limits, 'bytes'));
    }
    if (parts.length === 0) {
      data.resume();
      if (type === 'directory') return;
      throw new BuildFailure(`The pushed source has a ${type} entry without a name. Push a commit made by git.`);
    }
    const parent = await this.directory(parts.slice(0, -1), true);
    const path = join(parent, parts[parts.length - 1]);
    try {
      switch (type) {
        case 'directory':
          await this.directory(parts, true);
          data.resume();
          return;
        case 'file':
        case 'contiguous-file':
          return await this.file(path, header, data);
        case 'symlink':
          data.resume();
          await symlink(header.linkname ?? '', path);
          return;
        case 'link':
          data.resume();
          await link(await this.linkTarget(name, header.linkname ?? ''), path);
          return;
        default:
          throw new BuildFailure(`"${name}" in the pushed source is a ${type}, which a build cannot hold. Remove it and push again.`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new BuildFailure(`"${name}" appears twice in the pushed source; Berth unpacks each path once. Push a commit made by git.`);
      }
      throw error;
    }
  }

  /** A regular file created anew (O_EXCL never follows a link at the path), with the entry's mode and time. */
  private async file(path: string, header: Headers, data: Readable): Promise<void> {
    const mode = (header.mode ?? 0o644) & 0o111 ? 0o755 : 0o644;
    const handle = await open(path, 'wx', mode);
    try {
      for await (const chunk of data as AsyncIterable<Buffer>) {
        for (let rest = chunk; rest.length > 0; ) rest = rest.subarray((await handle.write(rest)).bytesWritten);
      }
      await handle.chmod(mode);
      if (header.mtime) await handle.utimes(header.mtime, header.mtime);
    } finally {
      await handle.close();
    }
  }

  /**
   * The directory at `parts` (relative to the root), each step a real directory: made when
   * missing (with `create`), refused when it is anything else, a symbolic link above all.
   */
  private async directory(parts: string[], create: boolean): Promise<string> {
    let path = this.root;
    for (let i = 0; i < parts.length; i++) {
      path = join(path, parts[i]);
      const rel = parts.slice(0, i + 1).join('/');
      if (this.directories.has(rel)) continue;
      let stats: Stats | null = null;
      try {
        stats = await lstat(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw error;
      }
      if (!stats) {
        await mkdir(path, { mode: 0o755 });
      } else if (!stats.isDirectory()) {
        const what = stats.isSymbolicLink() ? 'a symbolic link' : 'not a directory';
        throw new BuildFailure(`The pushed source puts files under "${rel}", which is ${what}; Berth does not unpack through links. Push a commit made by git.`);
      }
      this.directories.add(rel);
    }
    return path;
  }

  /** Where a hard link points: a regular file this extraction already made. */
  private async linkTarget(name: string, linkname: string): Promise<string> {
    const parts = relativeParts(linkname);
    const refused = new BuildFailure(`"${name}" in the pushed source is a hard link to "${linkname}", which is not a file of the source. Push a commit made by git.`);
    if (parts.length === 0) throw refused;
    let target: string;
    try {
      target = join(await this.directory(parts.slice(0, -1), false), parts[parts.length - 1]);
      if (!(await lstat(target)).isFile()) throw refused;
    } catch {
      throw refused;
    }
    return target;
  }
}

/** An entry's name as path segments inside the root; `..` anywhere or a leading `/` is refused. */
function relativeParts(name: string): string[] {
  if (name.startsWith('/') || name.includes('\0')) throw new BuildFailure(`The pushed source has an entry outside its own tree ("${name}"). Push a commit made by git.`);
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new BuildFailure(`The pushed source has an entry outside its own tree ("${name}"). Push a commit made by git.`);
  return parts;
}
