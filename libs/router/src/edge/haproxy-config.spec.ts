import { buildRouteTable, EnvironmentRoute } from '../routes/route-table';
import { initialState, planRoutes, renderHaproxyConfig, renderHostsMap, runtimeApiRefusals, slotCount } from './haproxy-config';

const env = (id: string, ports: number[], hostnames = [`${id}.localhost`]): EnvironmentRoute => ({
  id,
  appName: id,
  envName: 'production',
  production: true,
  hostnames,
  backends: ports.map((port) => ({ key: `127.0.0.1:${port}`, address: '127.0.0.1', port, instanceId: `i${port}` })),
});

const options = {
  dir: '/run/berth',
  host: '0.0.0.0',
  port: 8080,
  connectTimeoutSeconds: 5,
  responseTimeoutSeconds: 60,
  idleTimeoutSeconds: 60,
  websocketTimeoutSeconds: 3600,
  maxBodyBytes: 1024,
  maxConnections: 100,
  threads: 0,
};

describe('planning HAProxy changes', () => {
  it('reloads when it starts and when environments appear or disappear', () => {
    const first = planRoutes(null, buildRouteTable([env('a', [1001])]));
    expect(first.reload).toBe(true);
    expect(planRoutes(first.state, buildRouteTable([env('a', [1001]), env('b', [])])).reload).toBe(true);
    expect(planRoutes(first.state, buildRouteTable([])).reload).toBe(true);
  });

  it('rolls out through the runtime API: new instances take traffic before old ones stop', () => {
    const v1 = planRoutes(null, buildRouteTable([env('a', [1001, 1002])])).state;
    const plan = planRoutes(v1, buildRouteTable([env('a', [2001, 2002])]));
    expect(plan.reload).toBe(false);
    expect(plan.commands).toEqual([
      'set server env_a/s3 addr 127.0.0.1 port 2001',
      'set server env_a/s3 state ready',
      'set server env_a/s4 addr 127.0.0.1 port 2002',
      'set server env_a/s4 state ready',
      'set server env_a/s1 state maint',
      'set server env_a/s2 state maint',
    ]);
  });

  it('changes nothing when nothing changed, and reuses the slot emptied longest ago', () => {
    const v1 = planRoutes(null, buildRouteTable([env('a', [1001])])).state;
    expect(planRoutes(v1, buildRouteTable([env('a', [1001])])).commands).toEqual([]);
    const v2 = planRoutes(v1, buildRouteTable([env('a', [1002])])).state; // s1 freed now
    const v3 = planRoutes(v2, buildRouteTable([env('a', [1003])])); // s2 freed now; s3 never used
    expect(v3.commands[0]).toBe('set server env_a/s3 addr 127.0.0.1 port 1003');
    const v4 = planRoutes(v3.state, buildRouteTable([env('a', [1003, 1004, 1005])]));
    expect(v4.commands).toEqual(expect.arrayContaining(['set server env_a/s4 addr 127.0.0.1 port 1004', 'set server env_a/s1 addr 127.0.0.1 port 1005']));
  });

  it('reloads with more slots when an environment outgrows its own', () => {
    const v1 = planRoutes(null, buildRouteTable([env('a', [1])])).state;
    expect(v1.backends.get('a')!.slots).toHaveLength(4);
    const grown = planRoutes(v1, buildRouteTable([env('a', [1, 2, 3, 4, 5])]));
    expect(grown.reload).toBe(true);
    expect(grown.state.backends.get('a')!.slots).toHaveLength(slotCount(5));
    expect(slotCount(5)).toBe(16);
  });

  it('updates the hosts map for custom domains without a reload', () => {
    const v1 = planRoutes(null, buildRouteTable([env('a', [1]), env('b', [2], ['b.localhost', 'www.example.com'])])).state;
    const plan = planRoutes(v1, buildRouteTable([env('a', [1], ['a.localhost', 'www.example.com', 'shop.example.com']), env('b', [2])]));
    expect(plan.reload).toBe(false);
    expect(plan.commands).toEqual(['set map __HOSTS_MAP__ www.example.com env_a', 'add map __HOSTS_MAP__ shop.example.com env_a']);
    const removed = planRoutes(plan.state, buildRouteTable([env('a', [1]), env('b', [2])]));
    expect(removed.commands.sort()).toEqual(['del map __HOSTS_MAP__ shop.example.com', 'del map __HOSTS_MAP__ www.example.com']);
  });
});

describe('rendering the HAProxy configuration', () => {
  it('has a backend per environment with the status pages as backup, empty slots disabled', () => {
    const state = initialState(buildRouteTable([env('a', [1001])]));
    const config = renderHaproxyConfig(options, state);
    expect(config).toContain('bind 0.0.0.0:8080');
    expect(config).toContain('backend env_a\n  balance roundrobin\n  option forwardfor\n  server status /run/berth/status.sock backup\n  server s1 127.0.0.1:1001 check inter 2s fall 2 rise 2\n  server s2 127.0.0.1:1 check inter 2s fall 2 rise 2 disabled');
    expect(config).toContain('deny deny_status 413 if { req.hdr_val(content-length) gt 1024 }');
    expect(renderHostsMap(state)).toBe('a.localhost env_a\n');
  });

  it('has processes left over from a reload hand their requests to the current one', () => {
    const config = renderHaproxyConfig(options, initialState(buildRouteTable([env('a', [1001])])));
    expect(config).toContain('bind unix@/run/berth/handover.sock mode 600 accept-proxy');
    expect(config).toContain('backend berth_handover\n  server current unix@/run/berth/handover.sock send-proxy-v2');
    // Before the hosts map picks a backend.
    expect(config.indexOf('use_backend berth_handover if { stopping }')).toBeLessThan(config.indexOf('use_backend %[var(txn.host)'));
  });

  it('tells apps the scheme users reach them by', () => {
    const state = initialState(buildRouteTable([env('a', [1001])]));
    expect(renderHaproxyConfig(options, state)).toContain('http-request set-header x-forwarded-proto http\n');
    expect(renderHaproxyConfig({ ...options, forwardedProto: 'https' }, state)).toContain('http-request set-header x-forwarded-proto https\n');
  });

  it('keeps a Berth name when a custom domain claims the same host', () => {
    const table = buildRouteTable([env('a', [1]), env('b', [2], ['b.localhost', 'a.localhost'])]);
    expect(table.hosts.get('a.localhost')).toBe('a');
  });
});

describe("reading HAProxy's runtime API answers", () => {
  // Answers HAProxy 2.6.12 gave to batches of `set server` commands (one line each, blank lines between).
  it('takes the reports of changed and unchanged addresses for success', () => {
    const answer = [
      "no need to change the addr, port changed from '1' to '40339' by 'stats socket command'",
      '',
      "IP changed from '127.0.0.1' to '10.0.0.2', no need to change the port by 'stats socket command'",
      '',
      "IP changed from '10.0.0.2' to '10.0.0.3', port changed from '4000' to '4001' by 'stats socket command'",
      '',
      "no need to change the addr, no need to change the port by 'stats socket command'",
      '',
      "no need to change the addr by 'stats socket command'",
      '',
      '',
    ].join('\n');
    expect(runtimeApiRefusals(answer)).toEqual([]);
    expect(runtimeApiRefusals('\n')).toEqual([]);
  });

  it('reports everything else', () => {
    const answer = "IP changed from '127.0.0.3' to '127.0.0.1', port changed from '4001' to '4000' by 'stats socket command'\n\n\nInvalid addr 'nonsense' by 'stats socket command'\n\nNo such server.\n\n";
    expect(runtimeApiRefusals(answer)).toEqual(["Invalid addr 'nonsense' by 'stats socket command'", 'No such server.']);
    expect(runtimeApiRefusals('Unknown map identifier. Please use #<id> or <file>.\n')).toEqual(['Unknown map identifier. Please use #<id> or <file>.']);
  });
});
