import { apiOrigin, appFromGitUrl, credentialIsFor, parseConfigPairs, parseCredentialRequest, parseMemory, parseResize, parseScale, parseVersion, UsageError } from './args';

describe('CLI argument parsing', () => {
  it('reads KEY=value pairs, keeping = and empty values', () => {
    expect(parseConfigPairs(['A=1', 'URL=postgres://u:p@h/db?x=y', 'EMPTY='])).toEqual({ A: '1', URL: 'postgres://u:p@h/db?x=y', EMPTY: '' });
  });

  it.each([[[]], [['NOVALUE']], [['=x']], [['1BAD=x']], [['BAD-KEY=x']]])('refuses %j as config pairs', (pairs) => {
    expect(() => parseConfigPairs(pairs)).toThrow(UsageError);
  });

  it('reads TYPE=COUNT', () => {
    expect(parseScale(['web=2', 'worker=0'])).toEqual({ web: 2, worker: 0 });
    for (const bad of [['web'], ['web=two'], ['web=-1'], ['web=1.5'], ['=2'], []]) expect(() => parseScale(bad)).toThrow(UsageError);
  });

  it('reads memory sizes in MB and GB', () => {
    expect(parseMemory('512MB')).toBe(512);
    expect(parseMemory('512')).toBe(512);
    expect(parseMemory('256m')).toBe(256);
    expect(parseMemory('1GB')).toBe(1024);
    expect(parseMemory('1.5G')).toBe(1536);
    for (const bad of ['', 'big', '0', '-5MB', '1.5MB', '512KB']) expect(() => parseMemory(bad)).toThrow(UsageError);
    expect(parseResize(['web=512MB', 'worker=1GB'])).toEqual({ web: 512, worker: 1024 });
    expect(() => parseResize(['web'])).toThrow(UsageError);
  });

  it('reads release versions', () => {
    expect(parseVersion('v3')).toBe(3);
    expect(parseVersion('12')).toBe(12);
    for (const bad of ['v', 'v0', 'latest', '-1']) expect(() => parseVersion(bad)).toThrow(UsageError);
  });

  it('finds the app in a Berth git remote URL', () => {
    expect(appFromGitUrl('http://localhost:3000/git/hello.git')).toBe('hello');
    expect(appFromGitUrl('https://git:berth_secret@berth.example.com/git/my-app.git')).toBe('my-app');
    expect(appFromGitUrl('http://127.0.0.1:3000/git/hello')).toBe('hello');
    expect(appFromGitUrl('http://127.0.0.1:3000/git/hello.git/')).toBe('hello');
    expect(appFromGitUrl('git@github.com:someone/hello.git')).toBeNull();
    expect(appFromGitUrl('https://github.com/someone/hello.git')).toBeNull();
    expect(appFromGitUrl('not a url')).toBeNull();
  });

  it("normalises Berth's address to an origin", () => {
    expect(apiOrigin('http://localhost:3000/')).toBe('http://localhost:3000');
    expect(apiOrigin('berth.example.com')).toBe('http://berth.example.com');
    expect(apiOrigin('https://berth.example.com/api')).toBe('https://berth.example.com');
    expect(() => apiOrigin('ftp://x')).toThrow(UsageError);
  });

  it("answers git's credential requests only for the Berth it logged in to", () => {
    const request = parseCredentialRequest('protocol=http\nhost=127.0.0.1:3000\npath=git/hello.git\n\n');
    expect(request).toEqual({ protocol: 'http', host: '127.0.0.1:3000', path: 'git/hello.git' });
    expect(credentialIsFor(request, 'http://127.0.0.1:3000')).toBe(true);
    expect(credentialIsFor(request, 'http://127.0.0.1:3001')).toBe(false);
    expect(credentialIsFor(request, 'https://127.0.0.1:3000')).toBe(false);
    expect(credentialIsFor(parseCredentialRequest('protocol=https\nhost=github.com\n'), 'http://127.0.0.1:3000')).toBe(false);
    expect(credentialIsFor({}, 'http://127.0.0.1:3000')).toBe(false);
  });
});
