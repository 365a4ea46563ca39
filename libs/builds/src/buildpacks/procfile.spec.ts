import { parseProcfile } from './procfile';

describe('Procfile', () => {
  it('reads process types, skipping blank lines and comments', () => {
    expect(parseProcfile('# processes\nweb: node server.js --port $PORT\n\nworker:node worker.js\r\n')).toEqual({
      ok: true,
      types: { web: 'node server.js --port $PORT', worker: 'node worker.js' },
    });
  });

  it('keeps colons inside commands', () => {
    expect(parseProcfile('web: env A=b:c node x.js')).toEqual({ ok: true, types: { web: 'env A=b:c node x.js' } });
  });

  it.each([
    ['this line has no colon', /line 1 .*is not "<process type>: <command>"/],
    ['web: ok\nweb: again', /line 2.*"web" is defined twice/],
    ['Web Server: x', /"Web Server" must be 1 to 30 lowercase letters/],
    ['web:', /"web" has no command/],
    ['# only a comment\n', /defines no process types/],
  ])('refuses %p with a message naming the line', (text, message) => {
    const result = parseProcfile(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(message);
  });
});
