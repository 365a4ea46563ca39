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

  it('never leaves a slot freed and refilled in the same plan in maintenance', () => {
    // One instance (2 slots) replaced by three: s2 and the freed s1 are refilled, s3 is added.
    const v1 = planRoutes(null, buildRouteTable([env('a', [1001])])).state;
    const plan = planRoutes(v1, buildRouteTable([env('a', [2001, 2002, 2003])]));
    const lastOfS1 = plan.commands.filter((c) => c.startsWith('set server env_a/s1 ')).pop();
    expect(lastOfS1).toBe('set server env_a/s1 state ready');
    expect(plan.commands).not.toContain('set server env_a/s1 state maint');
    expect(plan.state.backends.get('a')!.slots.map((slot) => slot.key)).toEqual(['127.0.0.1:2002', '127.0.0.1:2001', '127.0.0.1:2003']);
  });

  it('changes nothing when nothing changed, and reuses the slot emptied longest ago', () => {
    const v1 = planRoutes(null, buildRouteTable([env('a', [1001, 1002])])).state; // s1, s2 used; s3, s4 empty
    expect(planRoutes(v1, buildRouteTable([env('a', [1001, 1002])])).commands).toEqual([]);
    const v2 = planRoutes(v1, buildRouteTable([env('a', [1002])])).state; // s1 freed now
    const v3 = planRoutes(v2, buildRouteTable([env('a', [1003])])); // s2 freed now; s3 never used
    expect(v3.commands[0]).toBe('set server env_a/s3 addr 127.0.0.1 port 1003');
    const v4 = planRoutes(v3.state, buildRouteTable([env('a', [1003, 1004, 1005])]));
    expect(v4.commands).toEqual(expect.arrayContaining(['set server env_a/s4 addr 127.0.0.1 port 1004', 'set server env_a/s1 addr 127.0.0.1 port 1005']));
  });

  it('gives an environment with nothing running one slot, and one instance room for a rollout', () => {
    const state = planRoutes(null, buildRouteTable([env('idle', []), env('one', [1001])])).state;
    expect(state.backends.get('idle')!.slots).toHaveLength(1);
    expect(state.backends.get('one')!.slots).toHaveLength(2);
    expect([0, 1, 2, 3, 5].map(slotCount)).toEqual([1, 2, 4, 8, 16]);
    // Its first instance fills the slot it has; its rollout fits beside it.
    const woken = planRoutes(state, buildRouteTable([env('idle', [2001]), env('one', [1001])]));
    expect(woken.commands).toEqual(['set server env_idle/s1 addr 127.0.0.1 port 2001', 'set server env_idle/s1 state ready']);
    const rolled = planRoutes(woken.state, buildRouteTable([env('idle', [2001]), env('one', [1002])]));
    expect(rolled.reload).toBe(false);
    expect(rolled.commands).toEqual(['set server env_one/s2 addr 127.0.0.1 port 1002', 'set server env_one/s2 state ready', 'set server env_one/s1 state maint']);
  });

  it('adds slots through the runtime API when an environment outgrows its own, without a reload', () => {
    const v1 = planRoutes(null, buildRouteTable([env('a', [1])])).state;
    const grown = planRoutes(v1, buildRouteTable([env('a', [1, 2, 3, 4])]));
    expect(grown.reload).toBe(false);
    expect(grown.commands).toEqual([
      'set server env_a/s2 addr 127.0.0.1 port 2',
      'set server env_a/s2 state ready',
      'add server env_a/s3 127.0.0.1:3 check inter 2s fall 2 rise 2',
      'enable health env_a/s3',
      'set server env_a/s3 health up',
      'set server env_a/s3 state ready',
      'add server env_a/s4 127.0.0.1:4 check inter 2s fall 2 rise 2',
      'enable health env_a/s4',
      'set server env_a/s4 health up',
      'set server env_a/s4 state ready',
    ]);
    expect(grown.state.backends.get('a')!.slots.map((s) => s.name)).toEqual(['s1', 's2', 's3', 's4']);
    // Slots added at run time are reused like the others.
    const shrunk = planRoutes(grown.state, buildRouteTable([env('a', [1])]));
    expect(planRoutes(shrunk.state, buildRouteTable([env('a', [1, 5, 6, 7])])).commands.filter((c) => c.startsWith('add server'))).toEqual([]);
    // A reload lays the backend out afresh for what runs then.
    expect(initialState(buildRouteTable([env('a', [1, 2, 3, 4])])).backends.get('a')!.slots).toHaveLength(8);
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
    // `add server` then `enable health` and `set server … state ready`, as HAProxy 2.6.12 answered them.
    expect(runtimeApiRefusals('New server registered.\n\n\n\n')).toEqual([]);
  });

  it('reports everything else', () => {
    const answer = "IP changed from '127.0.0.3' to '127.0.0.1', port changed from '4001' to '4000' by 'stats socket command'\n\n\nInvalid addr 'nonsense' by 'stats socket command'\n\nNo such server.\n\n";
    expect(runtimeApiRefusals(answer)).toEqual(["Invalid addr 'nonsense' by 'stats socket command'", 'No such server.']);
    expect(runtimeApiRefusals('Unknown map identifier. Please use #<id> or <file>.\n')).toEqual(['Unknown map identifier. Please use #<id> or <file>.']);
  });
});
