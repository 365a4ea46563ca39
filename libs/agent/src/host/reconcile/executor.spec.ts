import { Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { CrashDiagnosis } from './crash-diagnosis';
import { ReconcileAction } from './decide';
import { ReconcileExecutor } from './executor';
import { InstanceHealth } from './instance-health';
import { WantedInstance } from './wanted';

const config = { agent: { healthTimeoutMs: 10_000, restartBackoffMaxMs: 30_000, stopTimeoutSeconds: 5, publishAddress: '127.0.0.1' }, sleep: { pressureAvailableMb: 1024 } } as BerthConfig;

const row = {
  id: 'i1',
  environmentId: 'e1',
  processType: 'web',
  index: 1,
  memoryMb: 64,
  diskMb: 1024,
  desiredState: 'running',
  actualState: 'running',
  healthy: true,
  hostPort: 40001,
  containerId: 'c1',
  release: { version: 3, status: 'active', environment: { name: 'production', sleepingSince: null, app: { name: 'shop' } } },
} as unknown as WantedInstance;

/** The executor with its edges faked; InstanceHealth is the real one. */
function setup(over: { sampledOomKills?: number; kernelLog?: boolean | null; hostOomKills?: number[]; launch?: () => Promise<unknown>; inspect?: unknown; probe?: boolean; unpause?: unknown } = {}) {
  const updates: Record<string, unknown>[] = [];
  const events: string[] = [];
  const fakes = {
    db: { instance: { updateMany: jest.fn(async ({ data }) => (updates.push(data), { count: 1 })), deleteMany: jest.fn(async () => ({ count: 1 })) } },
    clock: { now: () => new Date(1_000_000) },
    host: { current: { id: 'h1' }, name: 'h' },
    runtime: {
      pause: jest.fn(async () => undefined),
      unpause: jest.fn(async () => ('unpause' in over ? over.unpause : { id: 'c1', running: true, paused: false, pid: 11, exitCode: 0, hostPort: 40001, startedAt: new Date(500_000) })),
      stop: jest.fn(async () => undefined),
      remove: jest.fn(async () => undefined),
      inspect: jest.fn(async () => ('inspect' in over ? over.inspect : { id: 'c1', running: false, pid: 0, exitCode: 1, hostPort: null, startedAt: null })) },
    probe: { check: jest.fn(async () => over.probe ?? true) },
    machine: { oomKills: jest.fn(async () => over.hostOomKills?.shift() ?? 0) },
    kernelLog: { sawOomKill: () => ('kernelLog' in over ? over.kernelLog : false) },
    notifier: { routesChanged: jest.fn(async () => undefined) },
    shipper: { event: (_ref: unknown, text: string) => events.push(text), attach: jest.fn(), isAttached: () => false, drain: jest.fn() },
    metrics: { restarted: jest.fn() },
    sampler: { oomKillsOf: () => over.sampledOomKills ?? 0, forgetExcept: jest.fn() },
    launcher: { launch: jest.fn(over.launch ?? (async () => ({ id: 'c2', running: true, pid: 22, exitCode: 0, hostPort: 40002, startedAt: null }))) },
  };
  const health = new InstanceHealth(config);
  const f = fakes as any; // the fakes cover only what these actions touch
  const diagnosis = new CrashDiagnosis(f.runtime, f.kernelLog, f.machine, f.sampler);
  const executor = new ReconcileExecutor(f.db, config, f.clock, f.host, f.runtime, f.probe, f.notifier, f.shipper, f.metrics, health, f.sampler, f.launcher, diagnosis);
  /** A round's actions, and then the engine work it queued. */
  const run = async (...actions: ReconcileAction<WantedInstance>[]) => {
    await executor.execute(actions);
    await executor.settled();
  };
  return { ...fakes, health, updates, events, run, executor };
}

describe('ReconcileExecutor', () => {
  beforeAll(() => Logger.overrideLogger(false));

  const asleep = { ...row, desiredState: 'stopped', release: { ...row.release, environment: { ...row.release.environment, sleepingSince: new Date(1_000_000 - 45 * 60_000) } } } as unknown as WantedInstance;

  it('freezes the container of an asleep instance and says so; its output stays followed', async () => {
    const t = setup();
    await t.run({ kind: 'freeze', row: asleep, containerId: 'c1' });
    expect(t.runtime.pause).toHaveBeenCalledWith('c1');
    expect(t.runtime.stop).not.toHaveBeenCalled();
    expect(t.shipper.drain).not.toHaveBeenCalled();
    expect(t.events).toEqual(['web.1 frozen: the environment is asleep (v3)']);
  });

  it('stops an asleep container and says why: asleep, frozen too long, or the host short of memory', async () => {
    const t = setup();
    await t.run({ kind: 'put-to-sleep', row: asleep, containerId: 'c1', cause: 'asleep' });
    await t.run({ kind: 'put-to-sleep', row: asleep, containerId: 'c1', cause: 'frozen-too-long' });
    await t.run({ kind: 'put-to-sleep', row: asleep, containerId: 'c1', cause: 'memory-short' });
    expect(t.runtime.stop).toHaveBeenCalledTimes(3);
    expect(t.events).toEqual([
      'web.1 stopped: the environment is asleep (v3)',
      'web.1 stopped: asleep for 45 minutes (frozen longer than AGENT_FREEZE_MINUTES) (v3)',
      'web.1 stopped: the environment is asleep and the host is short of memory (below MEMORY_PRESSURE_AVAILABLE_MB=1024) (v3)',
    ]);
  });

  it('thaws the frozen container of a woken instance: starting on its row, then healthy at its first answer, the router told', async () => {
    const t = setup();
    const woken = { ...row, actualState: 'stopped', healthy: false, hostPort: null } as unknown as WantedInstance;
    await t.run({ kind: 'thaw', row: woken, containerId: 'c1' });
    expect(t.runtime.unpause).toHaveBeenCalledWith('c1');
    expect(t.shipper.attach).toHaveBeenCalledWith('c1', expect.objectContaining({ name: 'web.1' }), { resume: true });
    expect(t.events).toEqual(['web.1 thawed: woken (v3)']);
    for (let i = 0; i < 50 && !t.notifier.routesChanged.mock.calls.length; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(t.updates).toEqual([
      expect.objectContaining({ containerId: 'c1', hostPort: 40001, actualState: 'starting', healthy: false, reason: null }),
      { actualState: 'running', healthy: true, reason: null },
    ]);
    expect(t.notifier.routesChanged).toHaveBeenCalledWith('e1');
    expect(t.health.get('i1')).toMatchObject({ containerId: 'c1', pid: 11 });
    t.executor.stop();
  });

  it('thaws woken instances in a lane of their own: they do not wait behind the round\'s creates', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const t = setup({ launch: async () => (await slow, { id: 'c2', running: true, pid: 22, exitCode: 0, hostPort: 40002, startedAt: null }) });
    const creates = Array.from({ length: 6 }, (_, i) => ({ kind: 'create', row: { ...row, id: `new${i}`, containerId: null } }) as ReconcileAction<WantedInstance>);
    const thaws = Array.from({ length: 20 }, (_, i) => ({ kind: 'thaw', row: { ...row, id: `woken${i}`, actualState: 'stopped', healthy: false }, containerId: `f${i}` }) as ReconcileAction<WantedInstance>);
    const round = t.run(...creates, ...thaws);
    for (let i = 0; i < 50 && t.runtime.unpause.mock.calls.length < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    // Every thaw done while all four create lanes still wait on the engine.
    expect(t.runtime.unpause).toHaveBeenCalledTimes(20);
    expect(t.launcher.launch).toHaveBeenCalledTimes(4);
    release();
    await round;
    expect(t.launcher.launch).toHaveBeenCalledTimes(6);
    t.executor.stop();
  });

  it('queues engine work beyond the round: the round ends before its creates, and the next round neither waits for them nor repeats them', async () => {
    const releases: (() => void)[] = [];
    const t = setup({ launch: () => new Promise((resolve) => releases.push(() => resolve({ id: 'c2', running: true, pid: 22, exitCode: 0, hostPort: 40002, startedAt: null }))) });
    const create = (id: string) => ({ kind: 'create', row: { ...row, id, processType: 'worker', containerId: null } }) as ReconcileAction<WantedInstance>;
    const ended: string[] = [];
    const afterEngineWork = () => ended.push('work');
    // Round 1: six creates; four start at once (the engine's lanes), two wait for a lane.
    await t.executor.execute(['a', 'b', 'c', 'd', 'e', 'f'].map(create), undefined, afterEngineWork);
    expect(t.launcher.launch).toHaveBeenCalledTimes(4);
    expect(t.executor.isBusy('a') && t.executor.isBusy('f')).toBe(true);
    // Round 2, while they run: the same six are skipped, a new placement is queued behind them.
    await t.executor.execute(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(create), undefined, afterEngineWork);
    expect(t.launcher.launch).toHaveBeenCalledTimes(4);
    // As lanes free up the queued ones start, in order, without another round.
    releases.shift()!();
    for (let i = 0; i < 50 && t.launcher.launch.mock.calls.length < 5; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(t.launcher.launch).toHaveBeenCalledTimes(5);
    expect(ended).toEqual(['work']);
    expect(t.executor.isBusy('a')).toBe(false);
    while (t.launcher.launch.mock.calls.length < 7 || releases.length) {
      releases.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await t.executor.settled();
    expect(t.launcher.launch).toHaveBeenCalledTimes(7);
    expect(ended).toHaveLength(7);
    expect(['a', 'b', 'c', 'd', 'e', 'f', 'g'].some((id) => t.executor.isBusy(id))).toBe(false);
    t.executor.stop();
  });

  it('leaves an instance to the next round when its queued create ended after this round listed the containers', async () => {
    const t = setup();
    const create = { kind: 'create', row: { ...row, processType: 'worker', containerId: null } } as ReconcileAction<WantedInstance>;
    const listedBefore = performance.now();
    await t.executor.execute([create]);
    await t.executor.settled();
    // A round that listed before the container was made saw none, and would make a second one on the same disk.
    await t.executor.execute([create], listedBefore);
    await t.executor.settled();
    expect(t.launcher.launch).toHaveBeenCalledTimes(1);
    await t.executor.execute([create], performance.now());
    await t.executor.settled();
    expect(t.launcher.launch).toHaveBeenCalledTimes(2);
    t.executor.stop();
  });

  it('starts no queued engine work once the agent stops, and lets what runs finish', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const t = setup({ launch: async () => (await slow, { id: 'c2', running: true, pid: 22, exitCode: 0, hostPort: 40002, startedAt: null }) });
    const creates = Array.from({ length: 6 }, (_, i) => ({ kind: 'create', row: { ...row, id: `new${i}`, processType: 'worker', containerId: null } }) as ReconcileAction<WantedInstance>);
    await t.executor.execute(creates);
    t.executor.stop();
    release();
    await t.executor.settled();
    expect(t.launcher.launch).toHaveBeenCalledTimes(4);
    expect(t.updates).toHaveLength(4);
  });

  it("starts new instances beside the probes of the running ones: those have a wider lane, not the engine's four", async () => {
    let answer!: () => void;
    const answered = new Promise<boolean>((resolve) => (answer = () => resolve(true)));
    const t = setup();
    t.probe.check.mockImplementation(() => answered);
    const probes = Array.from({ length: 40 }, (_, i) => ({ kind: 'probe-liveness', row: { ...row, id: `up${i}` } }) as ReconcileAction<WantedInstance>);
    // Workers: a started web container would be probed beside the round too, and blur the count.
    const creates = Array.from({ length: 3 }, (_, i) => ({ kind: 'create', row: { ...row, id: `new${i}`, processType: 'worker', containerId: null } }) as ReconcileAction<WantedInstance>);
    const round = t.run(...probes, ...creates);
    for (let i = 0; i < 50 && t.launcher.launch.mock.calls.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    // Every create launched while 32 probes still wait for their answers (and 8 for a turn).
    expect(t.launcher.launch).toHaveBeenCalledTimes(3);
    expect(t.probe.check).toHaveBeenCalledTimes(32);
    answer();
    await round;
    expect(t.probe.check).toHaveBeenCalledTimes(40);
    t.executor.stop();
  });

  it('wakes outside the rounds: thaws a frozen kept container, starts a stopped one, leaves a running one to the round', async () => {
    const t = setup();
    const sleeper = (id: string, containerId: string) => ({ ...row, id, containerId, actualState: 'stopped', healthy: false, hostPort: null }) as unknown as WantedInstance;
    const states: Record<string, object> = {
      frozen: { id: 'frozen', running: false, paused: true, pid: 5, exitCode: 0, hostPort: 40005, startedAt: null },
      stopped: { id: 'stopped', running: false, paused: false, pid: 0, exitCode: 0, hostPort: null, startedAt: null },
      up: { id: 'up', running: true, paused: false, pid: 7, exitCode: 0, hostPort: 40007, startedAt: null },
    };
    (t.runtime.inspect as jest.Mock).mockImplementation(async (id: string) => states[id]);
    const started = jest.fn(async () => ({ id: 'stopped', running: true, paused: false, pid: 9, exitCode: 0, hostPort: 40009, startedAt: null }));
    (t.runtime as Record<string, unknown>).start = started;
    const listedBefore = performance.now();
    const woken = await t.executor.wake([sleeper('a', 'frozen'), sleeper('b', 'stopped'), sleeper('c', 'up')]);
    // The running one is not counted as woken here: the reconciler then runs a round for it.
    expect([...woken].sort()).toEqual(['a', 'b']);
    expect(t.runtime.unpause).toHaveBeenCalledWith('frozen');
    expect(started).toHaveBeenCalledWith('stopped');
    expect(t.events).toEqual(['web.1 thawed: woken (v3)', 'web.1 started: woken (v3)']);
    // A round that listed the containers before the wake (and so saw them asleep) leaves the
    // woken ones alone; the next round, listed after, does not.
    t.runtime.unpause.mockClear();
    await t.executor.execute([{ kind: 'thaw', row: sleeper('a', 'frozen'), containerId: 'frozen' }], listedBefore);
    expect(t.runtime.unpause).not.toHaveBeenCalled();
    await t.executor.execute([{ kind: 'thaw', row: sleeper('a', 'frozen'), containerId: 'frozen' }], performance.now());
    expect(t.runtime.unpause).toHaveBeenCalledTimes(1);
    t.executor.stop();
  });

  it('thaws a container it froze itself without asking the engine first; one stopped since is started instead', async () => {
    const t = setup();
    const sleeper = { ...asleep, actualState: 'running' } as unknown as WantedInstance;
    await t.run({ kind: 'freeze', row: sleeper, containerId: 'c1' });
    expect([...(await t.executor.wake([sleeper]))]).toEqual(['i1']);
    expect(t.runtime.unpause).toHaveBeenCalledWith('c1');
    expect(t.runtime.inspect).not.toHaveBeenCalled();

    // Frozen here, then stopped behind this agent's back: the thaw finds it stopped and it is started.
    const u = setup({ unpause: { id: 'c1', running: false, paused: false, pid: 0, exitCode: 0, hostPort: null, startedAt: null } });
    const started = jest.fn(async () => ({ id: 'c1', running: true, paused: false, pid: 9, exitCode: 0, hostPort: 40009, startedAt: null }));
    (u.runtime as Record<string, unknown>).start = started;
    await u.run({ kind: 'freeze', row: sleeper, containerId: 'c1' });
    expect([...(await u.executor.wake([sleeper]))]).toEqual(['i1']);
    expect(started).toHaveBeenCalledWith('c1');
    expect(u.updates).not.toContainEqual(expect.objectContaining({ actualState: 'crashed' }));
    expect(u.events).toEqual(['web.1 frozen: the environment is asleep (v3)', 'web.1 started: woken (v3)']);
    t.executor.stop();
    u.executor.stop();
  });

  it('takes a frozen container that is gone when thawed for a crash', async () => {
    const t = setup({ unpause: null });
    await t.run({ kind: 'thaw', row: { ...row, actualState: 'stopped', healthy: false, hostPort: null } as unknown as WantedInstance, containerId: 'c1' });
    expect(t.updates).toEqual([expect.objectContaining({ actualState: 'crashed', reason: 'exited with code 1; restarting in 1 s' })]);
  });

  it('says a crashed container ran out of memory when its cgroup counted an OOM kill, and restarts it after the backoff', async () => {
    const t = setup({ sampledOomKills: 1 });
    await t.run({ kind: 'crashed', row, containerId: 'c1' });
    expect(t.runtime.remove).toHaveBeenCalledWith('c1', 5, expect.any(Function));
    expect(t.metrics.restarted).toHaveBeenCalledWith(expect.objectContaining({ instance: 'web.1' }), expect.any(Date), true);
    expect(t.updates).toEqual([expect.objectContaining({ actualState: 'crashed', healthy: false, containerId: null, reason: 'ran out of memory at 64 MB and was killed; restarting in 1 s' })]);
    expect(t.events).toEqual(['web.1 crashed: ran out of memory at 64 MB and was killed; restarting in 1 s']);
    expect(t.notifier.routesChanged).toHaveBeenCalledWith('e1'); // it was healthy: the router drops it
    expect(t.health.get('i1')?.notBefore).toBe(1_001_000);
  });

  it('takes a SIGKILL for an OOM kill when the kernel log cannot be read and the host counted one since the last round', async () => {
    const sigkill = { id: 'c1', running: false, pid: 0, exitCode: 137, hostPort: null, startedAt: null };
    const t = setup({ kernelLog: null, inspect: sigkill, hostOomKills: [4, 5, 5] });
    await t.executor.init();
    await t.run({ kind: 'crashed', row, containerId: 'c1' });
    await t.run({ kind: 'crashed', row, containerId: 'c1' });
    expect(t.updates.map((u) => u.reason)).toEqual(['ran out of memory at 64 MB and was killed; restarting in 1 s', 'was killed (SIGKILL); restarting in 2 s']);
  });

  it('puts the exit code in the reason of a plain crash and doubles the backoff of a crash loop', async () => {
    const t = setup();
    await t.run({ kind: 'crashed', row, containerId: 'c1' });
    await t.run({ kind: 'crashed', row: { ...row, healthy: false }, containerId: 'c1' });
    expect(t.updates.map((u) => u.reason)).toEqual(['exited with code 1; restarting in 1 s', 'exited with code 1; restarting in 2 s']);
    expect(t.metrics.restarted).toHaveBeenLastCalledWith(expect.anything(), expect.any(Date), false);
  });

  it('tells the owner how to fix a start that ran out of disk, and waits out the backoff', async () => {
    const t = setup({ launch: async () => Promise.reject(Object.assign(new Error('x'), { json: { message: 'copying: no space left on device' } })) });
    await t.run({ kind: 'create', row });
    expect(t.updates).toEqual([expect.objectContaining({ actualState: 'failed', reason: expect.stringMatching(/^could not start: the app's files do not fit on its 1024 MB disk; raise diskMb of web in the formation .*; trying again in 1 s$/) })]);
    expect(t.health.get('i1')).toMatchObject({ failures: 1, notBefore: 1_001_000 });
  });

  it('records a started container on its row as starting', async () => {
    const t = setup({ probe: false });
    await t.run({ kind: 'create', row });
    expect(t.updates).toEqual([expect.objectContaining({ containerId: 'c2', hostPort: 40002, actualState: 'starting', healthy: false })]);
    expect(t.health.get('i1')).toMatchObject({ containerId: 'c2', pid: 22 });
    t.executor.stop();
  });

  it('probes a started web container beside the rounds until it answers: healthy and routed without waiting for a round', async () => {
    const t = setup();
    t.probe.check.mockResolvedValueOnce(false).mockResolvedValueOnce(false);
    await t.run({ kind: 'create', row });
    for (let i = 0; i < 50 && !t.notifier.routesChanged.mock.calls.length; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(t.probe.check).toHaveBeenCalledTimes(3);
    expect(t.probe.check).toHaveBeenLastCalledWith('127.0.0.1', 40002);
    expect(t.updates).toEqual([
      expect.objectContaining({ containerId: 'c2', hostPort: 40002, actualState: 'starting', healthy: false }),
      { actualState: 'running', healthy: true, reason: null },
    ]);
    expect(t.notifier.routesChanged).toHaveBeenCalledWith('e1');
  });

  it('stops probing a started container once its instance has another one', async () => {
    const t = setup({ probe: false });
    await t.run({ kind: 'create', row });
    await new Promise((resolve) => setTimeout(resolve, 60));
    t.health.started('i1', { id: 'c3', pid: 33 }, 0);
    const probes = t.probe.check.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(probes).toBeGreaterThan(0);
    expect(t.probe.check.mock.calls.length).toBeLessThanOrEqual(probes + 1);
    expect(t.updates).toHaveLength(1);
    t.executor.stop();
  });

  it('restarts a web instance after three missed liveness probes', async () => {
    const t = setup({ probe: false });
    t.health.started('i1', { id: 'c1', pid: 11 }, 0);
    for (let i = 0; i < 3; i++) await t.run({ kind: 'probe-liveness', row });
    expect(t.updates).toEqual([expect.objectContaining({ actualState: 'crashed', reason: 'stopped answering on port 5000; restarting in 1 s' })]);
  });

  it('marks a starting web instance healthy once it answers, and tells the router', async () => {
    const t = setup();
    await t.run({ kind: 'probe-startup', row: { ...row, actualState: 'starting', healthy: false } });
    expect(t.updates).toEqual([{ actualState: 'running', healthy: true, reason: null }]);
    expect(t.notifier.routesChanged).toHaveBeenCalledWith('e1');
  });

  it('skips the rest of an instance whose container vanished before it could be adopted', async () => {
    const t = setup({ inspect: null });
    await t.run({ kind: 'adopt', row, containerId: 'c9' }, { kind: 'follow-output', row, containerId: 'c9' }, { kind: 'probe-liveness', row });
    expect(t.shipper.attach).not.toHaveBeenCalled();
    expect(t.probe.check).not.toHaveBeenCalled();
  });
});
