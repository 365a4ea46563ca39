/**
 * Git's pkt-line framing (gitprotocol-common): a 4-hex-digit length including itself, then the
 * payload; "0000" is a flush. Sideband packets carry a band byte first: 1 data, 2 progress
 * (shown as "remote: ..."), 3 fatal error.
 */
export const FLUSH = Buffer.from('0000');

export function pkt(payload: string | Buffer): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0')), data]);
}

/** Largest payload of a side-band-64k packet (65520 minus length and band byte). */
const SIDEBAND_MAX = 65515;

export function sideband(band: 1 | 2 | 3, payload: string | Buffer): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const packets: Buffer[] = [];
  for (let at = 0; at < data.length || at === 0; at += SIDEBAND_MAX) {
    packets.push(pkt(Buffer.concat([Buffer.from([band]), data.subarray(at, at + SIDEBAND_MAX)])));
    if (data.length === 0) break;
  }
  return Buffer.concat(packets);
}

/** The first line of an info/refs answer for the smart protocol. */
export function serviceAdvertisement(service: string): Buffer {
  return Buffer.concat([pkt(`# service=${service}\n`), FLUSH]);
}

export interface ReceiveCommands {
  /** Refs the client asks to update. */
  refs: string[];
  capabilities: string[];
}

/**
 * Reads the command list at the start of a receive-pack request ("<old> <new> <ref>\0caps",
 * ..., flush). Returns null while the buffer does not hold all of it yet.
 */
export function parseReceiveCommands(buffer: Buffer): ReceiveCommands | null {
  const refs: string[] = [];
  let capabilities: string[] = [];
  let at = 0;
  while (at + 4 <= buffer.length) {
    const length = parseInt(buffer.subarray(at, at + 4).toString('ascii'), 16);
    if (Number.isNaN(length)) return { refs, capabilities };
    if (length === 0) return { refs, capabilities };
    if (length < 4 || at + length > buffer.length) return null;
    let line = buffer.subarray(at + 4, at + length).toString('utf8').replace(/\n$/, '');
    const nul = line.indexOf('\0');
    if (nul >= 0) {
      capabilities = line.slice(nul + 1).split(' ').filter(Boolean);
      line = line.slice(0, nul);
    }
    const ref = line.split(' ')[2];
    if (ref) refs.push(ref);
    at += length;
  }
  return null;
}

/**
 * Splits a stream of pkt-lines into whole packets, so output can be cut between packets
 * (never inside one) when Berth answers in git's place.
 */
export class PacketSplitter {
  private buffer = Buffer.alloc(0);

  /** Whole packets completed by this chunk (concatenated), or an empty buffer. */
  push(chunk: Buffer): Buffer {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    let at = 0;
    while (at + 4 <= this.buffer.length) {
      const length = parseInt(this.buffer.subarray(at, at + 4).toString('ascii'), 16);
      const size = Number.isNaN(length) ? this.buffer.length - at : length < 4 ? 4 : length;
      if (at + size > this.buffer.length) break;
      at += size;
    }
    const whole = this.buffer.subarray(0, at);
    this.buffer = this.buffer.subarray(at);
    return whole;
  }
}
