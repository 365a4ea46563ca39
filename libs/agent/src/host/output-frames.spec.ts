import { OutputFrames } from './output-frames';

const frame = (stream: 1 | 2, text: string) => {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
};

describe('OutputFrames', () => {
  const bytes = Buffer.concat([frame(1, 'one\n'), frame(2, 'two\n'), frame(1, ''), frame(1, 'ü'.repeat(300) + '\n'), frame(2, 'last\n')]);
  const expected = [
    ['stdout', 'one\n'],
    ['stderr', 'two\n'],
    ['stdout', ''],
    ['stdout', 'ü'.repeat(300) + '\n'],
    ['stderr', 'last\n'],
  ];
  const read = (chunks: Buffer[]) => {
    const out: string[][] = [];
    const frames = new OutputFrames((stream, chunk) => out.push([stream, chunk.toString('utf8')]));
    for (const chunk of chunks) frames.push(chunk);
    return out;
  };

  it('reads many frames from one chunk', () => {
    expect(read([bytes])).toEqual(expected);
  });

  it('reads frames cut anywhere: inside a header, inside a body, byte by byte', () => {
    for (let cut = 1; cut < bytes.length; cut++) expect(read([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
    expect(read([...bytes].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it('reads 10,000 frames of a chunk in one pass', () => {
    const many = Buffer.concat(Array.from({ length: 10_000 }, (_, i) => frame(1, `L ${i}\n`)));
    const out = read([many]);
    expect(out).toHaveLength(10_000);
    expect(out[9_999]).toEqual(['stdout', 'L 9999\n']);
  });
});
