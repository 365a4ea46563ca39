import { FSWatcher, watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/** One entry of an engine's container log file. */
export interface LogFileEntry {
  stream: 'stdout' | 'stderr';
  /** The engine's timestamp as written (RFC 3339, nanoseconds). */
  time: string;
  /** The text, without its newline. */
  text: string;
  /** Part of a longer line: the rest follows in the next entries of the same stream. */
  partial: boolean;
}

/**
 * Parses a line of a container log file: Podman's k8s-file (`<time> stdout F <text>`, P for
 * a part of a longer line) or Docker's json-file (`{"log":"<text>\n","stream":…,"time":…}`,
 * no newline for a part). Null for anything else.
 */
export function parseLogFileLine(line: string): LogFileEntry | null {
  if (line.startsWith('{')) {
    try {
      const entry = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
      if (typeof entry.log !== 'string' || typeof entry.time !== 'string' || (entry.stream !== 'stdout' && entry.stream !== 'stderr')) return null;
      const partial = !entry.log.endsWith('\n');
      return { stream: entry.stream, time: entry.time, text: partial ? entry.log : entry.log.slice(0, -1), partial };
    } catch {
      return null;
    }
  }
  const match = /^(\S+) (stdout|stderr) ([PF])(?: |$)/.exec(line);
  if (!match) return null;
  return { stream: match[2] as 'stdout' | 'stderr', time: match[1], text: line.slice(match[0].length), partial: match[3] === 'P' };
}

export interface LogFileReadOptions {
  /** Keep reading what is appended, until `until` or `signal`. */
  follow: boolean;
  /** Only entries written after this time. */
  since?: Date;
  /** Stop at once. */
  signal?: AbortSignal;
  /** The container stopped: read what is left, then end. */
  until?: AbortSignal;
}

const CHUNK = 256 * 1024;
/** How often a followed file is checked for having been replaced (the engine rotates it at its size limit). */
const ROTATION_CHECK_MS = 1000;
/**
 * At most one read of a followed file per this interval: an app that prints in many small
 * bursts wakes inotify at each one, and one read per wake-up would cost more than the lines.
 * What it adds to a live tail is at most this long.
 */
const MIN_READ_INTERVAL_MS = 100;

/**
 * Reads an engine's log file of a container straight from disk, entry by entry, and with
 * `follow` keeps reading what the engine's monitor (conmon) appends, woken by inotify; when the
 * monitor replaces the file at its size limit, finishes the old one and goes on with the new.
 * This takes the engine's API server out of the path of every line an app prints.
 */
export async function readLogFile(path: string, options: LogFileReadOptions, onEntry: (entry: LogFileEntry) => void): Promise<void> {
  const sinceMs = options.since?.getTime();
  let file: FileHandle = await open(path, 'r');
  let inode = (await file.stat()).ino;
  let position = 0;
  let rest = '';
  // Characters split across two reads are decoded whole.
  let decoder = new StringDecoder('utf8');
  const buffer = Buffer.alloc(CHUNK);

  const drain = async (): Promise<void> => {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      // A short read reached the end as it is now: no second read to learn that.
      const atEnd = bytesRead < CHUNK;
      const text = rest + decoder.write(buffer.subarray(0, bytesRead));
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parseLogFileLine(line);
        if (entry && !(sinceMs !== undefined && Date.parse(entry.time) <= sinceMs)) onEntry(entry);
      }
      if (atEnd) return;
    }
  };
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  /**
   * After reading the old file to its end: 'rotated' when the path now names another file (read
   * on from its start), 'gone' when it names none (the container was removed).
   */
  const reopenIfRotated = async (): Promise<'same' | 'rotated' | 'gone'> => {
    const now = await stat(path).catch(() => null);
    if (now && now.ino === inode) return 'same';
    await drain();
    if (!now) return 'gone';
    await file.close().catch(() => undefined);
    file = await open(path, 'r');
    inode = (await file.stat()).ino;
    position = 0;
    rest = '';
    decoder = new StringDecoder('utf8');
    return 'rotated';
  };

  try {
    await drain();
    if (!options.follow || options.signal?.aborted) return;
    await new Promise<void>((resolve, reject) => {
      let reading = false;
      let again = false;
      let ending = false;
      const finish = (error?: unknown) => {
        watcher?.close();
        clearInterval(timer);
        clearTimeout(scheduled);
        if (error) reject(error as Error);
        else resolve();
      };
      let lastRead = 0;
      let scheduled: NodeJS.Timeout | undefined;
      /** An inotify wake-up: read now, or once the interval since the last read is over. */
      const soon = () => {
        if (scheduled) return;
        scheduled = setTimeout(
          () => {
            scheduled = undefined;
            void pass();
          },
          Math.max(0, lastRead + MIN_READ_INTERVAL_MS - Date.now()),
        );
      };
      /** Reads what was appended; `check` (the timer, the end) also looks for a replaced or removed file. */
      let checkAgain = false;
      const pass = async (check = false): Promise<void> => {
        if (reading) {
          again = true;
          checkAgain ||= check;
          return;
        }
        reading = true;
        try {
          do {
            again = false;
            if (options.signal?.aborted) return finish();
            lastRead = Date.now();
            await drain();
            const checking = check || checkAgain || ending || options.until?.aborted;
            check = checkAgain = false;
            if (!checking) continue;
            const now = await reopenIfRotated();
            if (now === 'gone') return finish();
            // inotify watches the old file's inode: watch the new one.
            if (now === 'rotated') watchFile();
          } while (again);
          if (ending || options.until?.aborted) {
            await drain();
            return finish();
          }
        } catch (error) {
          return finish(error);
        } finally {
          reading = false;
        }
      };
      const watchFile = () => {
        watcher?.close();
        watcher = watch(path, { persistent: false }, soon);
        watcher.on('error', () => undefined);
      };
      watchFile();
      timer = setInterval(() => void pass(true), ROTATION_CHECK_MS);
      timer.unref();
      options.signal?.addEventListener('abort', () => finish(), { once: true });
      options.until?.addEventListener(
        'abort',
        () => {
          ending = true;
          void pass(true);
        },
        { once: true },
      );
      void pass(true);
    });
  } finally {
    watcher?.close();
    clearInterval(timer);
    await file.close().catch(() => undefined);
  }
}
