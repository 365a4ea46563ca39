import { PassThrough } from 'node:stream';
import { changeOfEvent, ContainerWatch } from './container-watch';
import type { ContainerSummary } from './container-runtime';

const labels = (instance: string, install = 'ours') => ({ 'berth.host': 'h1', 'berth.install': install, 'berth.instance': instance });
const summary = (id: string, running = true): ContainerSummary => ({ id, instanceId: `i-${id}`, running, paused: false, labels: labels(`i-${id}`) });
/** An event as Podman's Docker API sends it. */
const event = (id: string, action: string, timeNano: number, install = 'ours') => ({
  status: action,
  id,
  Type: 'container',
  Action: action,
  Actor: { ID: id, Attributes: { ...labels(`i-${id}`, install), name: `c-${id}`, image: 'img', podId: '', containerExitCode: '0' } },
  time: Math.floor(timeNano / 1e9),
  timeNano,
});

function setup(listed: ContainerSummary[][]) {
  let clock = 1_000;
  const streams: PassThrough[] = [];
  let release: (() => void) | undefined;
  const source = {
    hold: false,
    listAll: jest.fn(async () => {
      if (source.hold) await new Promise<void>((resolve) => (release = resolve));
      return listed.shift() ?? [];
    }),
    events: jest.fn(async () => {
      const stream = new PassThrough();
      streams.push(stream);
      return stream;
    }),
    ours: (l: Record<string, string>) => l['berth.install'] === 'ours',
  };
  const watch = new ContainerWatch(source, 30_000, () => clock);
  const send = async (e: object) => {
    streams.at(-1)!.write(JSON.stringify(e) + '\n');
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { watch, source, streams, send, tick: (ms: number) => (clock += ms), ns: () => clock * 1e6, release: () => release?.() };
}

const ids = (list: ContainerSummary[]) => list.map((c) => `${c.id}:${c.paused ? 'paused' : c.running ? 'running' : 'exited'}`).sort();

describe('ContainerWatch', () => {
  it('lists in full once, then keeps the view from the engine events', async () => {
    const t = setup([[summary('a'), summary('b', false)]]);
    expect(ids(await t.watch.list())).toEqual(['a:running', 'b:exited']);
    await t.send(event('c', 'create', t.ns() + 1));
    await t.send(event('b', 'start', t.ns() + 2));
    await t.send(event('a', 'pause', t.ns() + 3));
    await t.send(event('c', 'start', t.ns() + 4));
    await t.send(event('a', 'unpause', t.ns() + 5));
    await t.send(event('a', 'died', t.ns() + 6));
    await t.send(event('b', 'remove', t.ns() + 7));
    const now = await t.watch.list();
    expect(ids(now)).toEqual(['a:exited', 'c:running']);
    expect(now.find((c) => c.id === 'c')).toEqual({ id: 'c', instanceId: 'i-c', running: true, paused: false, labels: labels('i-c') });
    expect(t.source.listAll).toHaveBeenCalledTimes(1);
  });

  it("leaves another install's containers out, as the full list does", async () => {
    const t = setup([[]]);
    await t.watch.list();
    await t.send(event('x', 'create', t.ns() + 1, 'theirs'));
    await t.send(event('x', 'start', t.ns() + 2, 'theirs'));
    expect(await t.watch.list()).toEqual([]);
  });

  it('applies after the list what happened while it ran, and not what happened before it began', async () => {
    const t = setup([[summary('a', false)]]);
    t.source.hold = true;
    const listing = t.watch.list();
    await new Promise((resolve) => setImmediate(resolve));
    const before = t.ns() - 5; // older than the list's start: the list already shows it
    await t.send(event('a', 'start', before));
    await t.send(event('b', 'create', t.ns() + 1));
    await t.send(event('b', 'start', t.ns() + 2));
    t.release();
    expect(ids(await listing)).toEqual(['a:exited', 'b:running']);
  });

  it("takes the agent's own note at once, and ignores that change's older event arriving after it", async () => {
    const t = setup([[summary('a', false)]]);
    await t.watch.list();
    const startedAt = t.ns();
    t.tick(10);
    t.watch.note({ id: 'a', state: 'running' });
    expect(ids(await t.watch.list())).toEqual(['a:running']);
    // A pause from before the agent's start, delivered late: not news.
    await t.send(event('a', 'pause', startedAt - 1));
    expect(ids(await t.watch.list())).toEqual(['a:running']);
    // Seen running by an inspect that began at `seen`; it exited after that, its event comes later.
    const seen = t.tick(10);
    t.tick(10);
    t.watch.note({ id: 'a', state: 'running' }, seen);
    await t.send(event('a', 'died', seen * 1e6 + 5));
    expect(ids(await t.watch.list())).toEqual(['a:exited']);
    t.watch.note({ id: 'a', state: 'gone' });
    expect(await t.watch.list()).toEqual([]);
    // Its own died event, written before the agent's remove returned, does not bring it back.
    await t.send(event('a', 'died', t.ns() - 1));
    expect(await t.watch.list()).toEqual([]);
  });

  it('lists in full again when the stream ends, and every resync period', async () => {
    const t = setup([[summary('a')], [summary('a'), summary('z')], [summary('q')]]);
    await t.watch.list();
    t.streams[0].end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ids(await t.watch.list())).toEqual(['a:running', 'z:running']);
    expect(t.source.events).toHaveBeenCalledTimes(2);
    t.tick(29_000);
    await t.watch.list();
    expect(t.source.listAll).toHaveBeenCalledTimes(2);
    t.tick(1_000);
    // Due: the live view is returned at once and the full list runs beside it.
    expect(ids(await t.watch.list())).toEqual(['a:running', 'z:running']);
    expect(t.source.listAll).toHaveBeenCalledTimes(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ids(await t.watch.list())).toEqual(['q:running']);
    expect(t.source.listAll).toHaveBeenCalledTimes(3);
  });

  it('spaces its resyncs to ten times as long as a full list took, when that is longer than the period', async () => {
    const t = setup([[summary('b')]]);
    t.source.listAll.mockImplementationOnce(async () => {
      t.tick(5_000); // a list of many containers
      return [summary('a')];
    });
    await t.watch.list();
    t.tick(30_000);
    await t.watch.list();
    expect(t.source.listAll).toHaveBeenCalledTimes(1); // 30 s < 10 × 5 s
    t.tick(20_000);
    await t.watch.list();
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.source.listAll).toHaveBeenCalledTimes(2);
    expect(ids(await t.watch.list())).toEqual(['b:running']);
  });

  it('keeps the view when a resync beside the rounds fails', async () => {
    const t = setup([[summary('a')]]);
    await t.watch.list();
    t.source.listAll.mockRejectedValueOnce(new Error('engine busy'));
    t.tick(30_000);
    expect(ids(await t.watch.list())).toEqual(['a:running']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ids(await t.watch.list())).toEqual(['a:running']);
  });

  it('lists in full every time when the engine gives no events', async () => {
    const t = setup([[summary('a')], [summary('b')]]);
    t.source.events.mockRejectedValue(new Error('no events here'));
    expect(ids(await t.watch.list())).toEqual(['a:running']);
    expect(ids(await t.watch.list())).toEqual(['b:running']);
  });

  it('reads the events that change a container, with the labels among their attributes', () => {
    expect(changeOfEvent(event('a', 'kill', 5))).toBeNull();
    expect(changeOfEvent({ Type: 'image', Action: 'remove', Actor: { ID: 'x' } })).toBeNull();
    expect(changeOfEvent(event('a', 'died', 5))).toEqual({ id: 'a', time: 5, state: 'exited', labels: labels('i-a') });
    expect(changeOfEvent(event('a', 'unpause', 7))?.state).toBe('running');
  });
});
