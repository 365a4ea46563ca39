import { lstat, readFile, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Read-only view of a pushed commit's files, for buildpack detection. */
export interface SourceTree {
  /** Whether a regular file (not a directory) exists at the path. */
  isFile(path: string): Promise<boolean>;
  /** The file's text, or null when there is no such file. */
  read(path: string): Promise<string | null>;
}

const MAX_READ_BYTES = 4 * 1024 * 1024;

/**
 * A SourceTree over an unpacked commit. Symbolic links are followed only while they stay
 * inside the tree: a pushed `Procfile -> /etc/passwd` reads as missing.
 */
export class DirectoryTree implements SourceTree {
  constructor(private readonly root: string) {}

  private async resolve(path: string): Promise<string | null> {
    try {
      const full = await realpath(join(this.root, path));
      const root = await realpath(this.root);
      const rel = relative(root, full);
      if (rel.startsWith('..') || rel.startsWith(sep)) return null;
      const stats = await lstat(full);
      return stats.isFile() ? full : null;
    } catch {
      return null;
    }
  }

  async isFile(path: string): Promise<boolean> {
    return (await this.resolve(path)) !== null;
  }

  async read(path: string): Promise<string | null> {
    const full = await this.resolve(path);
    if (!full) return null;
    const stats = await lstat(full);
    if (stats.size > MAX_READ_BYTES) return null;
    return readFile(full, 'utf8');
  }
}

/** A SourceTree from a map of paths to contents (tests). */
export class MemoryTree implements SourceTree {
  constructor(private readonly files: Record<string, string>) {}

  async isFile(path: string): Promise<boolean> {
    return path in this.files;
  }

  async read(path: string): Promise<string | null> {
    return this.files[path] ?? null;
  }
}
