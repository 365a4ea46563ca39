import { parseConfig } from '@berth/config';
import { Clock } from '@berth/common';
import type { LogStore, LogWriter, NewLogLine } from '@berth/logs';
import type { ContainerRuntime } from './container-runtime';
import { LogShipper } from './log-shipper';
import { entriesOfFrame, OutputEntry } from './output-frames';

const config = parseConfig({ BERTH_SECRET_KEY: 'a'.repeat(64), LOGS_RATE_LINES_PER_SECOND: '3', LOGS_MAX_LINE_BYTES: '256', BERTH_ENV_FILE: 'none' } as Record<string, string>);
const ref = { environmentId: 'env-1', processType: 'web', name: 'web.1', release: 2 };

/** A container whose output is the given frames (stream, text), then ends. */
function setUp(frames: ['stdout' | 'stderr', string][], now = Date.parse('2026-11-30T16:00:05.500Z')) {
  const written: NewLogLine[] = [];
  const runtime = {
    // The engine's stream: each frame becomes entries as ContainerRuntime.output makes them.
    output: async (_id: string, _options: unknown, emit: (entry: OutputEntry) => void) => {
      for (const [stream, text] of frames) entriesOfFrame(stream, Buffer.from(text), emit);
    },
  } as unknown as ContainerRuntime;
  const writer = { write: (line: NewLogLine) => written.push(line), flush: async () => undefined } as unknown as LogWriter;
  const store = { lastAppLineAt: async () => null } as unknown as LogStore;
  const clock = { now: () => new Date(now) } as Clock;
  const shipper = new LogShipper(runtime, writer, store, config, clock);
  return { shipper, written };
}

describe('LogShipper', () => {
  it('ships lines with their stream and time, joining a line the engine sent in parts', async () => {
    const { shipper, written } = setUp([
      ['stdout', '2026-11-30T16:00:01.250Z starting\n'],
      ['stderr', '2026-11-30T16:00:02.000Z flood 23'],
      ['stderr', '2026-11-30T16:00:02.000Z 35\n'],
      ['stdout', '2026-11-30T16:00:03Z no newline at the end'],
    ]);
    shipper.attach('c1', ref);
    await shipper.drain('c1');
    await shipper.onModuleDestroy();
    expect(written.map((l) => [l.source, l.stream, l.text])).toEqual([
      ['app', 'stdout', 'starting'],
      ['app', 'stderr', 'flood 2335'],
      ['app', 'stdout', 'no newline at the end'],
    ]);
    expect(written[0]).toMatchObject({ environmentId: 'env-1', processType: 'web', instance: 'web.1', release: 2, time: new Date('2026-11-30T16:00:01.250Z') });
  });

  it('drops lines over the rate and says how many in one Berth line when the output ends', async () => {
    const frames = Array.from({ length: 10 }, (_, i) => ['stdout', `2026-11-30T16:00:01.${100 + i}Z line ${i}\n`] as ['stdout', string]);
    const { shipper, written } = setUp(frames);
    shipper.attach('c1', ref);
    await shipper.drain('c1');
    await shipper.onModuleDestroy();
    expect(written.filter((l) => l.source === 'app').map((l) => l.text)).toEqual(['line 0', 'line 1', 'line 2']);
    const berth = written.filter((l) => l.source === 'berth');
    expect(berth.map((l) => l.text)).toEqual(['web.1 logged too fast: 7 lines dropped (the limit is 3 lines per second per instance)']);
  });

  it('cuts long lines and marks the cut', async () => {
    const { shipper, written } = setUp([['stdout', `2026-11-30T16:00:01.000Z ${'x'.repeat(300)}\n`]]);
    shipper.attach('c1', ref);
    await shipper.drain('c1');
    await shipper.onModuleDestroy();
    expect(written[0].text.endsWith('[truncated by Berth]')).toBe(true);
    expect(Buffer.byteLength(written[0].text)).toBeLessThanOrEqual(256);
  });

  it('reads what a container it did not follow wrote, when asked to drain it', async () => {
    const { shipper, written } = setUp([['stdout', '2026-11-30T16:00:01.000Z last words\n']]);
    await shipper.drain('c9', ref);
    await shipper.onModuleDestroy();
    expect(written.map((l) => l.text)).toEqual(['last words']);
  });

  it('splits a frame of several lines, drops the carriage return of CRLF, and cuts a line that never ends', async () => {
    const { shipper, written } = setUp([
      ['stdout', '2026-11-30T16:00:01.000Z one\r\ntwo\nthr'],
      ['stdout', '2026-11-30T16:00:01.100Z ee\n'],
      // Parts of one line, past twice the 256-byte limit, with no newline yet.
      ...Array.from({ length: 6 }, () => ['stderr', `2026-11-30T16:00:02.000Z ${'y'.repeat(100)}`] as ['stderr', string]),
    ]);
    shipper.attach('c1', ref);
    await shipper.drain('c1');
    await shipper.onModuleDestroy();
    const texts = written.map((l) => l.text);
    expect(texts.slice(0, 3)).toEqual(['one', 'two', 'three']);
    expect(written[2].time).toEqual(new Date('2026-11-30T16:00:01.000Z'));
    // Cut once it grew past 512 bytes (marked), the rest at the end of the output.
    expect(texts.slice(3).map((t) => t.endsWith('[truncated by Berth]'))).toEqual([true]);
    expect(written.length).toBe(4);
  });
});
