import { basicSecret } from './git-access';
import { PacketSplitter, parseReceiveCommands, pkt, sideband } from './pkt-line';

describe('pkt-lines', () => {
  it('frames payloads with their length in hex', () => {
    expect(pkt('a\n').toString()).toBe('0006a\n');
    expect(sideband(2, 'hi').toString('latin1')).toBe('0007\u0002hi');
  });

  it('reads the refs and capabilities of a receive-pack request, waiting for all of them', () => {
    const zero = '0'.repeat(40);
    const body = Buffer.concat([
      pkt(`${zero} ${'a'.repeat(40)} refs/heads/main\0report-status side-band-64k agent=git/2.39\n`),
      pkt(`${'b'.repeat(40)} ${zero} refs/heads/old\n`),
      Buffer.from('0000PACK...'),
    ]);
    expect(parseReceiveCommands(body.subarray(0, 30))).toBeNull();
    expect(parseReceiveCommands(body)).toEqual({ refs: ['refs/heads/main', 'refs/heads/old'], capabilities: ['report-status', 'side-band-64k', 'agent=git/2.39'] });
  });

  it('passes on whole packets only', () => {
    const splitter = new PacketSplitter();
    const stream = Buffer.concat([pkt('hello\n'), Buffer.from('0000'), pkt('world\n')]);
    expect(splitter.push(stream.subarray(0, 5)).toString()).toBe('');
    expect(splitter.push(stream.subarray(5, 16)).toString()).toBe('000ahello\n0000');
    expect(splitter.push(stream.subarray(16)).toString()).toBe('000aworld\n');
  });
});

describe('git credentials', () => {
  const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;
  it('takes the token from the password, or from the user name when the password is empty', () => {
    expect(basicSecret(basic('git:berth_abc'))).toBe('berth_abc');
    expect(basicSecret(basic('berth_abc:'))).toBe('berth_abc');
    expect(basicSecret('Bearer berth_abc')).toBeNull();
    expect(basicSecret(undefined)).toBeNull();
  });
});
