import { isCrashLine } from './log-lines';

describe('crash lines', () => {
  it.each([
    'web.1 crashed: exited with code 1; restarting in 1 s',
    'web.1 crashed: ran out of memory (limit 256 MB) and was killed; restarting in 2 s',
    'worker.2 failed: exited with code 3; restarting in 30 s',
    'web.1 could not start: image missing; trying again in 5 s',
  ])('knows Berth\'s line "%s"', (text) => expect(isCrashLine({ source: 'berth', text })).toBe(true));

  it('leaves other lines alone, and an app that prints the same words', () => {
    expect(isCrashLine({ source: 'berth', text: 'web.1 started (v2)' })).toBe(false);
    expect(isCrashLine({ source: 'berth', text: 'release v3 created: Deploy 1a2b3c4' })).toBe(false);
    expect(isCrashLine({ source: 'app', text: 'web.1 crashed: exited with code 1' })).toBe(false);
  });
});
