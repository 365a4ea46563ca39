import type { BerthConfig } from '@berth/config';
import type { Clock } from '@berth/common';
import type { LogWriter, NewLogLine } from '@berth/logs';
import type { RequestMetricsWriter } from '@berth/metrics';
import { AccessLog } from './access-log.service';
import { ForwardedRequests } from './forwarded-requests';

const env = '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const other = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const line = (environmentId: string, status = 200, server = 's1') => `berth1 env_${environmentId} ${server} ${status} 10 4 3 GET req-00000001 "shop.example" "/"`;

describe('AccessLog', () => {
  let written: NewLogLine[];
  let recorded: { environmentId: string; status: number; ms: number }[];
  let now: number;
  let accessLog: AccessLog;
  let forwarded: ForwardedRequests;

  beforeEach(() => {
    written = [];
    recorded = [];
    now = Date.parse('2026-11-30T16:00:00Z');
    const config = { logs: { linesPerSecond: 3, maxLineBytes: 8192 } } as BerthConfig;
    const clock = { now: () => new Date(now) } as Clock;
    const logs = { write: (l: NewLogLine) => written.push(l) } as unknown as LogWriter;
    const metrics = { record: (environmentId: string, _t: Date, status: number, ms: number) => recorded.push({ environmentId, status, ms }) } as unknown as RequestMetricsWriter;
    forwarded = new ForwardedRequests();
    accessLog = new AccessLog(config, clock, logs, metrics, forwarded);
    (accessLog as unknown as { instanceOf: (e: string, s: string) => string | null }).instanceOf = (_e, s) => (s === 's1' ? 'web.1' : null);
  });

  it("writes a router line with the instance that answered, and counts the request", () => {
    accessLog.receive(line(env, 404));
    expect(written).toEqual([{ environmentId: env, time: new Date(now), source: 'router', text: 'at=info method=GET path=/ host=shop.example request_id=req-00000001 status=404 bytes=10 service=3ms instance=web.1' }]);
    expect(recorded).toEqual([{ environmentId: env, status: 404, ms: 4 }]);
  });

  it('names the instance the status server forwarded a held request to, and none for its own pages', () => {
    forwarded.note(env, 'req-00000001', 'web.2');
    forwarded.note(other, 'req-00000001', 'web.3');
    accessLog.receive(line(env, 200, 'status'));
    accessLog.receive(line(env, 503, 'status'));
    expect(written.map((l) => l.text)).toEqual([
      'at=info method=GET path=/ host=shop.example request_id=req-00000001 status=200 bytes=10 service=3ms instance=web.2',
      'at=error method=GET path=/ host=shop.example request_id=req-00000001 status=503 bytes=10 service=3ms',
    ]);
    expect(recorded.map((r) => r.status)).toEqual([200, 503]);
  });

  it("ignores the router's own backends and lines it cannot read", () => {
    accessLog.receive(line(env).replace(`env_${env}`, 'berth_unknown'));
    accessLog.receive('garbage');
    expect(written).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it("cuts one environment's flood at the rate, counts every request anyway, and says how many lines went", async () => {
    for (let i = 0; i < 10; i++) accessLog.receive(line(env));
    accessLog.receive(line(other));
    expect(written.filter((l) => l.environmentId === env)).toHaveLength(3);
    expect(written.filter((l) => l.environmentId === other)).toHaveLength(1);
    expect(recorded).toHaveLength(11);
    now += 2000; // a whole second without drops: the flood is over
    (accessLog as unknown as { reportDrops: () => void }).reportDrops();
    const drop = written.find((l) => l.source === 'berth');
    expect(drop).toMatchObject({ environmentId: env, text: expect.stringMatching(/^router lines came too fast: 7 dropped \(the limit is 3 lines per second per environment\)/) });
    await accessLog.onModuleDestroy();
  });
});
