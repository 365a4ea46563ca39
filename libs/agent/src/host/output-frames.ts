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
