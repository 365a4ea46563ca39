import { addressProblem, drainUrlProblem, maskedUrl } from './drain-address';
import { DrainRefused, DrainTransport } from './drain-transport';
import { drainBackoffMs, BACKOFF_MAX_MS } from './log-drain-forwarder';

const strict = { allowLoopback: false };
const tests = { allowLoopback: true };

describe('drain addresses', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.9', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::5', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', '224.0.0.1'])(
    'refuses %s',
    (address) => expect(addressProblem(address, strict)).toMatch(/private, loopback or reserved/),
  );

  it.each(['93.184.215.14', '1.1.1.1', '2606:4700:4700::1111', '::ffff:5db8:d70e'])('allows the public address %s', (address) => expect(addressProblem(address, strict)).toBeNull());

  it('allows loopback, and only loopback, with the test flag', () => {
    expect(addressProblem('127.0.0.1', tests)).toBeNull();
    expect(addressProblem('::1', tests)).toBeNull();
    expect(addressProblem('10.0.0.1', tests)).not.toBeNull();
    expect(addressProblem('169.254.169.254', tests)).not.toBeNull();
  });

  it('wants an https URL (http only with the test flag)', () => {
    expect(drainUrlProblem('https://logs.example.com/x', strict)).toBeNull();
    expect(drainUrlProblem('http://logs.example.com/x', strict)).toBe('must use https (not http)');
    expect(drainUrlProblem('http://127.0.0.1:9/x', tests)).toBeNull();
    expect(drainUrlProblem('ftp://x.example.com', tests)).toBe('must use https (not ftp)');
    expect(drainUrlProblem('logs.example.com', strict)).toMatch(/https:\/\/ URL/);
    expect(drainUrlProblem(42, strict)).toMatch(/https:\/\/ URL/);
  });

  it('masks a password in a URL', () => {
    expect(maskedUrl('https://user:s3cret@logs.example.com/in?x=1')).toBe('https://user:****@logs.example.com/in?x=1');
    expect(maskedUrl('https://logs.example.com/in')).toBe('https://logs.example.com/in');
  });

  it('resolves host names before trusting them (localhost is loopback)', async () => {
    const transport = new DrainTransport({ logs: { drainsAllowLoopback: false } } as never);
    await expect(transport.checkHost('https://localhost/ingest')).rejects.toThrow(DrainRefused);
    await expect(transport.checkHost('https://[::ffff:a9fe:a9fe]/')).rejects.toThrow(/private, loopback or reserved/);
    // And POSTs are checked at connect time too, not only when the drain is added.
    await expect(transport.post('https://localhost:1/ingest', '[]', 'application/json')).rejects.toThrow(/localhost resolves to .*private, loopback or reserved/);
  });

  it('refuses plain http to anything but loopback even with the test flag', async () => {
    const transport = new DrainTransport({ logs: { drainsAllowLoopback: true } } as never);
    await expect(transport.checkHost('http://93.184.215.14/')).rejects.toThrow(/plain http/);
    await expect(transport.checkHost('http://127.0.0.1:9/')).resolves.toBeUndefined();
  });

  it('backs off 1 s, 2 s, 4 s … up to five minutes', () => {
    expect([0, 1, 2, 3, 4].map(drainBackoffMs)).toEqual([0, 1000, 2000, 4000, 8000]);
    expect(drainBackoffMs(50)).toBe(BACKOFF_MAX_MS);
  });
});
