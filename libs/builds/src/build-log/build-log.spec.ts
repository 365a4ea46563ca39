import { asLines } from './build-log.service';

describe('build log text', () => {
  it('keeps whole lines, ending with a newline', () => {
    expect(asLines('one\ntwo')).toBe('one\ntwo\n');
    expect(asLines('one\r\n')).toBe('one\n');
  });

  it('keeps only the last redraw of carriage-return progress', () => {
    expect(asLines('10%\r50%\r100%\ndone\n')).toBe('100%\ndone\n');
    expect(asLines('almost\r\n')).toBe('almost\n');
  });
});
