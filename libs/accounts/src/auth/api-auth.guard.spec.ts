import { bearerToken } from './api-auth.guard';

describe('bearerToken', () => {
  it('reads the token of a Bearer header, whatever the scheme\'s case', () => {
    expect(bearerToken('Bearer berth_abc')).toBe('berth_abc');
    expect(bearerToken('bearer  berth_abc ')).toBe('berth_abc');
  });

  it('finds nothing in other schemes or a malformed header', () => {
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Basic Z2l0OmJlcnRoX2FiYw==')).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken('Bearerberth_abc')).toBeNull();
  });
});
