import { ACCESS_LOG_FORMAT, environmentOfBackend, parseAccessLine, routerLineText } from './access-log';

const env = '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b';

describe('access lines', () => {
  it('reads what HAProxy sends for a request an instance answered', () => {
    const record = parseAccessLine(`berth1 env_${env} s2 200 512 13 12 GET 7c9e-abcd-1234 "shop.apps.example" "/orders?page=2"\n`);
    expect(record).toEqual({ backend: `env_${env}`, server: 's2', status: 200, bytes: 512, activeMs: 13, serviceMs: 12, method: 'GET', requestId: '7c9e-abcd-1234', host: 'shop.apps.example', path: '/orders?page=2' });
    expect(routerLineText(record!, 'web.1')).toBe('at=info method=GET path=/orders?page=2 host=shop.apps.example request_id=7c9e-abcd-1234 status=200 bytes=512 service=12ms instance=web.1');
  });

  it('reads a syslog priority, escaped quotes and #XX bytes, and a request nobody answered', () => {
    const record = parseAccessLine(`<134>berth1 env_${env} status 503 1200 2 -1 POST - "we\\"ird\\]\\\\" "/a#22b c"`);
    expect(record).toMatchObject({ server: 'status', status: 503, serviceMs: null, requestId: null, host: 'we"ird]\\', path: '/a"b c' });
    expect(routerLineText(record!, null)).toBe('at=error method=POST path="/a\\"b c" host="we\\"ird]\\\\" request_id=- status=503 bytes=1200 service=2ms');
  });

  it('refuses anything else', () => {
    expect(parseAccessLine('[WARNING] something')).toBeNull();
    expect(parseAccessLine(`berth1 env_${env} s1 abc 1 1 1 GET - "h" "/"`)).toBeNull();
    expect(parseAccessLine('')).toBeNull();
  });

  it('tells environments from the router’s own backends', () => {
    expect(environmentOfBackend(`env_${env}`)).toBe(env);
    expect(environmentOfBackend('berth_unknown')).toBeNull();
    expect(environmentOfBackend('berth_handover')).toBeNull();
    expect(environmentOfBackend('berth')).toBeNull();
  });

  it('logs the fields it parses, in that order', () => {
    expect(ACCESS_LOG_FORMAT.split(' ')).toHaveLength(11);
  });
});
