import type { BerthConfig } from '@berth/config';
import type { ContainerEngine } from '@berth/engine';
import { LABELS } from '../container-spec';
import { Cgroups, Freezer } from './cgroups';
import { ContainerRuntime } from './container-runtime';
import type { InstanceDisks } from './instance-disks';

/** Cgroups this process cannot write: freezes go to the engine. */
const unreachable = { freezerOf: () => null, frozenContainers: () => new Map(), isFrozen: () => false, thaw: () => false } as unknown as Cgroups;

/** The kernel's freezer of each container, in memory: what the agent froze itself. */
class FakeFreezers {
  readonly states = new Map<string, 'frozen' | 'thawed'>();
  readonly writes: string[] = [];
  readonly cgroups = {
    freezerOf: (pid: number, id: string): Freezer | null => (pid > 0 ? { dir: `/cg/${id}`, version: 1 } : null),
    freeze: async (f: Freezer) => (this.writes.push(`freeze ${f.dir}`), this.states.set(f.dir, 'frozen')),
    thaw: (f: Freezer) => (this.writes.push(`thaw ${f.dir}`), this.states.set(f.dir, 'thawed'), true),
    isFrozen: (f: Freezer) => this.states.get(f.dir) === 'frozen',
    frozenContainers: () => new Map([...this.states].filter(([, state]) => state === 'frozen').map(([dir]) => [dir.slice('/cg/'.length), { dir, version: 1 as const }])),
  } as unknown as Cgroups;
}

describe('ContainerRuntime.list', () => {
  it("lists this install's containers of the host (and older ones without an install label), never another install's", async () => {
    const containers = [
      { Id: 'mine', State: 'running', Labels: { [LABELS.host]: 'h1', [LABELS.install]: 'a', [LABELS.instance]: 'i1' } },
      { Id: 'legacy', State: 'exited', Labels: { [LABELS.host]: 'h1', [LABELS.instance]: 'i2' } },
      { Id: 'theirs', State: 'running', Labels: { [LABELS.host]: 'h1', [LABELS.install]: 'b', [LABELS.instance]: 'i3' } },
    ];
    const asked: unknown[] = [];
    const engine = { api: { listContainers: async (options: unknown) => (asked.push(options), containers) } } as unknown as ContainerEngine;
    const runtime = new ContainerRuntime(engine, {} as InstanceDisks, { installId: 'a' } as unknown as BerthConfig, unreachable);
    const listed = await runtime.list('h1');
    expect(listed.map((c) => c.id)).toEqual(['mine', 'legacy']);
    expect(listed.map((c) => [c.running, c.paused])).toEqual([[true, false], [false, false]]);
    expect(asked).toEqual([{ all: true, filters: { label: [`${LABELS.host}=h1`] } }]);
  });
});

describe('ContainerRuntime and frozen containers', () => {
  /** A fake engine with one container in `state`; records the calls made on it. */
  function engineWith(state: { Running: boolean; Paused: boolean }, cgroups = unreachable) {
    const calls: string[] = [];
    const container = {
      inspect: async () => ({ Id: 'c1', Name: '/web-1', State: { ...state, Pid: 7, ExitCode: 0, StartedAt: '' }, NetworkSettings: {} }),
      pause: async () => (calls.push('pause'), (state.Paused = true)),
      unpause: async () => (calls.push('unpause'), (state.Paused = false)),
      stop: async () => (calls.push('stop'), (state.Running = false)),
      remove: async () => calls.push('remove'),
    };
    const engine = {
      api: {
        listContainers: async () => [{ Id: 'c1', State: state.Paused ? 'paused' : state.Running ? 'running' : 'exited', Labels: { [LABELS.instance]: 'i1' } }],
        getContainer: () => container,
      },
    } as unknown as ContainerEngine;
    const disks = { volumeFor: (name: string) => `disk-${name}`, remove: async () => undefined } as unknown as InstanceDisks;
    return { runtime: new ContainerRuntime(engine, disks, { installId: 'a', agent: { logSource: 'engine' } } as unknown as BerthConfig, cgroups), calls };
  }

  it('lists and inspects a frozen container as paused, not running (the engine says Running of it too)', async () => {
    const { runtime } = engineWith({ Running: true, Paused: true });
    expect(await runtime.list('h1')).toEqual([expect.objectContaining({ id: 'c1', running: false, paused: true })]);
    expect(await runtime.inspect('c1')).toMatchObject({ running: false, paused: true });
  });

  it('thaws a frozen container before stopping or removing it', async () => {
    const stopped = engineWith({ Running: true, Paused: true });
    await stopped.runtime.stop('c1', 5);
    expect(stopped.calls).toEqual(['unpause', 'stop']);
    const removed = engineWith({ Running: true, Paused: true });
    await removed.runtime.remove('c1', 5);
    expect(removed.calls).toEqual(['unpause', 'stop', 'remove']);
    const running = engineWith({ Running: true, Paused: false });
    await running.runtime.stop('c1', 5);
    expect(running.calls).toEqual(['stop']);
  });

  it('thaws a frozen container and says it runs', async () => {
    const { runtime, calls } = engineWith({ Running: true, Paused: true });
    await runtime.pause('c1');
    expect(await runtime.unpause('c1')).toMatchObject({ id: 'c1', running: true, paused: false, pid: 7 });
    expect(calls).toEqual(['pause', 'unpause']);
  });

  describe('through the kernel freezer of its cgroup, where the agent can write it', () => {
    it('freezes and thaws without the engine; lists and inspects it as frozen meanwhile, though the engine says it runs', async () => {
      const kernel = new FakeFreezers();
      const { runtime, calls } = engineWith({ Running: true, Paused: false }, kernel.cgroups);
      await runtime.pause('c1');
      expect(kernel.writes).toEqual(['freeze /cg/c1']);
      expect(await runtime.list('h1')).toEqual([expect.objectContaining({ id: 'c1', running: false, paused: true })]);
      expect(await runtime.inspect('c1')).toMatchObject({ running: false, paused: true });
      // The thaw answers from what the freeze saw: no engine call at all.
      expect(await runtime.unpause('c1')).toMatchObject({ id: 'c1', running: true, paused: false, pid: 7 });
      expect(kernel.writes).toEqual(['freeze /cg/c1', 'thaw /cg/c1']);
      expect(calls).toEqual([]);
      expect(await runtime.list('h1')).toEqual([expect.objectContaining({ running: true, paused: false })]);
    });

    it('thaws it before a stop or a removal (a frozen process cannot take the SIGTERM)', async () => {
      for (const act of [(r: ContainerRuntime) => r.stop('c1', 5), (r: ContainerRuntime) => r.remove('c1', 5)]) {
        const kernel = new FakeFreezers();
        const { runtime, calls } = engineWith({ Running: true, Paused: false }, kernel.cgroups);
        await runtime.pause('c1');
        await act(runtime);
        expect(kernel.writes).toEqual(['freeze /cg/c1', 'thaw /cg/c1']);
        expect(calls[0]).toBe('stop');
      }
    });

    it('takes in what an earlier agent froze (found in the freezer hierarchy) and thaws it, asking the engine how it is after', async () => {
      const kernel = new FakeFreezers();
      kernel.states.set('/cg/c1', 'frozen');
      const { runtime, calls } = engineWith({ Running: true, Paused: false }, kernel.cgroups);
      expect(await runtime.list('h1')).toEqual([expect.objectContaining({ running: false, paused: true })]);
      expect(await runtime.unpause('c1')).toMatchObject({ running: true, paused: false });
      expect(kernel.writes).toEqual(['thaw /cg/c1']);
      expect(calls).toEqual([]);
    });

    it('forgets a freeze undone outside the agent (thawed, restarted): the engine has the last word', async () => {
      const kernel = new FakeFreezers();
      const { runtime, calls } = engineWith({ Running: true, Paused: false }, kernel.cgroups);
      await runtime.pause('c1');
      kernel.states.set('/cg/c1', 'thawed');
      expect(await runtime.list('h1')).toEqual([expect.objectContaining({ running: true, paused: false })]);
      expect(await runtime.unpause('c1')).toMatchObject({ running: true });
      expect(calls).toEqual(['unpause']);
      expect(kernel.writes).toEqual(['freeze /cg/c1']);
    });
  });
});
