import { planRoutes } from '../edge/haproxy-config';
import { Backend, buildRouteTable, normalizeHost, patchRouteTable, withHandovers } from './route-table';

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

  describe('handover off a lost host (make before break)', () => {
    const at = (address: string, port: number, instanceId: string): Backend => ({ key: `${address}:${port}`, address, port, instanceId, name: 'web.1' });
    const old = at('10.0.0.1', 30001, 'i1');
    const moved = at('10.0.0.2', 30002, 'i1');

    it('keeps routing to the previous endpoint while the moved instance is not routable at its new place', () => {
      expect(withHandovers([], [old])).toEqual([old]);
      expect(withHandovers([at('10.0.0.3', 30003, 'i2')], [old]).map((b) => b.key)).toEqual(['10.0.0.1:30001', '10.0.0.3:30003']);
    });

    it('drops the previous endpoint once the instance is routable at its new place', () => {
      expect(withHandovers([moved], [old])).toEqual([moved]);
    });

    it('never routes one endpoint twice', () => {
      expect(withHandovers([at('10.0.0.1', 30001, 'i2')], [old])).toHaveLength(1);
    });

    it('fills the new slot before emptying the old one when the handover ends, so the backend never goes empty', () => {
      const env = (backends: Backend[]) => buildRouteTable([{ id: 'e', appName: 'a', envName: 'production', production: true, hostnames: ['a.localhost'], backends }]);
      const during = planRoutes(null, env(withHandovers([], [old]))).state;
      // The host is marked down and the instance moved: the route stays where it was, unchanged.
      expect(planRoutes(during, env(withHandovers([], [old]))).commands).toEqual([]);
      const after = planRoutes(during, env(withHandovers([moved], [old])));
      expect(after.reload).toBe(false);
      const ready = after.commands.findIndex((c) => c.endsWith('state ready'));
      const maint = after.commands.findIndex((c) => c.endsWith('state maint'));
      expect(ready).toBeGreaterThanOrEqual(0);
      expect(maint).toBeGreaterThan(ready);
    });
  });
});
