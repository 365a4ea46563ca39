/**
 * Reads the engine's multiplexed output (Docker's format: frames of an 8-byte header — stream
 * 1 stdout or 2 stderr, three zero bytes, the length as a big-endian uint32 — then the bytes) as
 * it arrives, in time linear in the bytes. dockerode's demuxStream copies the rest of its buffer
 * after every frame, so a 64 KB chunk of 2,000 short lines costs megabytes of copying; once an
 * agent fell behind 100 chatty containers its chunks grew and it stopped keeping up altogether.
 */
export class OutputFrames {
  private parts: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next frame can be read whole. */
  private needed = 8;

  constructor(private readonly write: (stream: 'stdout' | 'stderr', chunk: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    const buffer = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.buffered);
    let at = 0;
    while (at + 8 <= buffer.length) {
      const end = at + 8 + buffer.readUInt32BE(at + 4);
      if (end > buffer.length) break;
      this.write(buffer[at] === 2 ? 'stderr' : 'stdout', buffer.subarray(at + 8, end));
      at = end;
    }
    const rest = buffer.subarray(at);
    this.parts = rest.length ? [rest] : [];
    this.buffered = rest.length;
    this.needed = rest.length >= 8 ? 8 + rest.readUInt32BE(4) : 8;
  }
}

/** A piece of a container's output: a whole line, or a part of a longer one. */
export interface OutputEntry {
  stream: 'stdout' | 'stderr';
  /** The engine's timestamp in milliseconds; null when it gave none. */
  timeMs: number | null;
  /** The stamp is finer than whole seconds (Podman's API stamps whole seconds, its files nanoseconds). */
  fine: boolean;
  /** The text, without its newline. */
  text: string;
  /** Part of a longer line: the rest follows in the next entries of the same stream. */
  partial: boolean;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) ?/;

/**
 * The entries of one frame of the engine's stream with timestamps: its stamp, then text that
 * may hold several lines; text after the last newline is a part of a line (the engine read a
 * long line in parts, each its own stamped frame, the last one ending with the newline).
 */
export function entriesOfFrame(stream: 'stdout' | 'stderr', chunk: Buffer, emit: (entry: OutputEntry) => void): void {
  let text = chunk.toString('utf8');
  let timeMs: number | null = null;
  let fine = false;
  const match = TIMESTAMP.exec(text);
  if (match) {
    text = text.slice(match[0].length);
    timeMs = Date.parse(match[1]);
    fine = Boolean(match[2]);
  }
  const lines = text.split('\n');
  const last = lines.pop() as string;
  for (const line of lines) emit({ stream, timeMs, fine, text: line, partial: false });
  if (last) emit({ stream, timeMs, fine, text: last, partial: true });
}
