import { LineSplitter } from './release-phase.service';

describe('LineSplitter', () => {
  it('gives whole lines out of chunks that split them', () => {
    const lines: string[] = [];
    const split = new LineSplitter((line) => lines.push(line));
    split.write('one\ntw');
    split.write('o\r\nthree');
    expect(lines).toEqual(['one', 'two']);
    split.end();
    expect(lines).toEqual(['one', 'two', 'three']);
  });
});
