import { buildRouteTable, normalizeHost, patchRouteTable } from './route-table';

describe('route table', () => {
  it('normalizes Host headers: case, port, trailing dot', () => {
    expect(normalizeHost('Shop.LocalHost:8080')).toBe('shop.localhost');
    expect(normalizeHost('shop.localhost.')).toBe('shop.localhost');
    expect(normalizeHost(undefined)).toBe('');
  });

  it('replaces the environments it is told about and drops deleted ones', () => {
    const a = { id: 'a', appName: 'a', envName: 'production', production: true, hostnames: ['a.localhost'], backends: [] };
    const b = { ...a, id: 'b', appName: 'b', hostnames: ['b.localhost'] };
    const table = buildRouteTable([a, b]);
    const patched = patchRouteTable(table, ['a', 'b'], [{ ...a, hostnames: ['a.localhost', 'www.a.com'] }]);
    expect([...patched.hosts]).toEqual([
      ['a.localhost', 'a'],
      ['www.a.com', 'a'],
    ]);
  });
});
