import { ContainerFacts, decideReconcile, HealthFacts, InstanceFacts, LIVENESS_EVERY_MS, nextRoundIn } from './decide';

const NOW = 1_000_000;

const row = (over: Partial<InstanceFacts> & { sleeping?: boolean } = {}): InstanceFacts => {
  const { sleeping, ...rest } = over;
  return {
    id: 'i1',
    desiredState: 'running',
    actualState: 'running',
    healthy: true,
    hostPort: 40001,
    processType: 'web',
    release: { status: 'active', environment: { sleepingSince: sleeping ? new Date(0) : null } },
    ...rest,
  };
};
const container = (id: string, over: Partial<ContainerFacts> = {}): ContainerFacts => ({ id, instanceId: 'i1', running: true, paused: false, ...over });
const tracked = (over: Partial<HealthFacts> = {}): Map<string, HealthFacts> => new Map([['i1', { containerId: 'c1', notBefore: 0, lastProbeAt: NOW, ...over }]]);

/** The kinds of the actions and the container each names, in order. */
function decide(rows: InstanceFacts[], containers: ContainerFacts[], health: Map<string, HealthFacts> = new Map(), now = NOW, sleep: { freezeMs?: number; memoryShort?: boolean } = {}): string[] {
  return decideReconcile({ rows, containers, health, now, ...sleep }).map((a) => ('containerId' in a ? `${a.kind} ${a.containerId}` : a.kind));
}

describe('decideReconcile', () => {
  it('creates a container for a new row', () => {
    expect(decide([row({ actualState: 'pending', healthy: false })], [])).toEqual(['create']);
  });

  it('waits out the restart backoff before creating again', () => {
    const rows = [row({ actualState: 'crashed', healthy: false })];
    expect(decide(rows, [], tracked({ containerId: undefined, notBefore: NOW + 2000 }))).toEqual([]);
    expect(decide(rows, [], tracked({ containerId: undefined, notBefore: NOW + 2000 }), NOW + 2000)).toEqual(['create']);
  });

  it('removes containers no row of this host wants: row gone or moved, or no instance label', () => {
    expect(decide([], [container('c1'), container('c2', { instanceId: undefined, running: false })])).toEqual(['remove-unwanted c1', 'remove-unwanted c2']);
    expect(decide([row({ id: 'other' })], [container('c1')], new Map([['other', { notBefore: 0, lastProbeAt: 0 }]]))).toEqual(['remove-unwanted c1', 'create']);
  });

  it('keeps the container of an instance handed over to another host until it runs there (its row moved while this host was lost)', () => {
    const actions = decideReconcile({ rows: [], containers: [container('c1'), container('c2', { instanceId: 'gone' })], health: new Map(), now: NOW, handedOver: new Set(['i1']) });
    expect(actions).toEqual([{ kind: 'remove-unwanted', containerId: 'c2' }]);
  });

  it('removes every container of a row told to stop, says so, then deletes the row', () => {
    expect(decide([row({ desiredState: 'stopped' })], [container('c1'), container('c2', { running: false })])).toEqual(['remove c1', 'remove c2', 'announce-stopped', 'delete-row']);
    expect(decide([row({ desiredState: 'stopped' })], [])).toEqual(['delete-row']);
  });

  it('stops and keeps the container of an asleep instance, and reports it asleep once', () => {
    const asleep = row({ desiredState: 'stopped', sleeping: true });
    expect(decide([asleep], [container('c1', { running: false }), container('c2')])).toEqual(['remove c1', 'put-to-sleep c2', 'rest', 'report-asleep']);
    const reported = row({ desiredState: 'stopped', sleeping: true, actualState: 'stopped', healthy: false, hostPort: null });
    expect(decide([reported], [container('c1', { running: false })])).toEqual(['rest']);
  });

  describe('two-stage sleep (AGENT_FREEZE_MINUTES)', () => {
    const FREEZE = 30 * 60_000;
    /** Asleep since `ago` ms before NOW, already reported asleep. */
    const asleepFor = (ago: number) => ({
      ...row({ desiredState: 'stopped', actualState: 'stopped', healthy: false, hostPort: null }),
      release: { status: 'active', environment: { sleepingSince: new Date(NOW - ago) } },
    });
    const frozen = (id: string) => container(id, { running: false, paused: true });
    const causes = (rows: InstanceFacts[], containers: ContainerFacts[], sleep: { freezeMs?: number; memoryShort?: boolean }) =>
      decideReconcile({ rows, containers, health: new Map(), now: NOW, ...sleep }).flatMap((a) => (a.kind === 'put-to-sleep' ? [a.cause] : []));

    it('freezes the running container of an instance that just fell asleep, and reports it asleep', () => {
      const justAsleep = { ...row({ desiredState: 'stopped' }), release: { status: 'active', environment: { sleepingSince: new Date(NOW) } } };
      expect(decide([justAsleep], [container('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['freeze c1', 'rest', 'report-asleep']);
    });

    it('leaves a frozen container frozen within the window', () => {
      expect(decide([asleepFor(FREEZE - 1)], [frozen('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['rest']);
    });

    it('stops a container frozen past the window (deep sleep), and one still running then', () => {
      expect(decide([asleepFor(FREEZE)], [frozen('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['put-to-sleep c1', 'rest']);
      expect(causes([asleepFor(FREEZE)], [frozen('c1')], { freezeMs: FREEZE })).toEqual(['frozen-too-long']);
      expect(decide([asleepFor(FREEZE + 1)], [container('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['put-to-sleep c1', 'rest']);
    });

    it('stops every frozen container, and freezes none, when the host is short of memory', () => {
      expect(decide([asleepFor(1)], [frozen('c1')], new Map(), NOW, { freezeMs: FREEZE, memoryShort: true })).toEqual(['put-to-sleep c1', 'rest']);
      expect(decide([asleepFor(1)], [container('c1')], new Map(), NOW, { freezeMs: FREEZE, memoryShort: true })).toEqual(['put-to-sleep c1', 'rest']);
      expect(causes([asleepFor(1)], [frozen('c1')], { freezeMs: FREEZE, memoryShort: true })).toEqual(['memory-short']);
    });

    it('stops at once as before when freezing is off (0), and a frozen container found then too', () => {
      expect(decide([asleepFor(1)], [container('c1')], new Map(), NOW, { freezeMs: 0 })).toEqual(['put-to-sleep c1', 'rest']);
      expect(decide([asleepFor(1)], [frozen('c1')], new Map(), NOW, { freezeMs: 0 })).toEqual(['put-to-sleep c1', 'rest']);
      expect(causes([asleepFor(1)], [container('c1')], {})).toEqual(['asleep']);
    });

    it('leaves a stopped (deep asleep) container alone', () => {
      expect(decide([asleepFor(1)], [container('c1', { running: false })], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['rest']);
    });

    it('thaws the frozen container of a woken instance, never takes it for a crash or starts it', () => {
      expect(decide([row({ actualState: 'stopped', healthy: false, hostPort: null })], [frozen('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['thaw c1']);
      // Found frozen by an agent that restarted while its environment woke.
      expect(decide([row()], [frozen('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['thaw c1']);
    });

    it('keeps a frozen container over an exited one of the same instance', () => {
      expect(decide([asleepFor(1)], [container('c0', { running: false }), frozen('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['remove c0', 'rest']);
    });

    it('removes a frozen container of an instance told to stop that is not asleep (deleted, superseded)', () => {
      expect(decide([row({ desiredState: 'stopped' })], [frozen('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['remove c1', 'announce-stopped', 'delete-row']);
      const old = { ...asleepFor(1), release: { status: 'superseded', environment: { sleepingSince: new Date(NOW - 1) } } };
      expect(decide([old], [frozen('c1')], new Map(), NOW, { freezeMs: FREEZE })).toEqual(['remove c1', 'announce-stopped', 'delete-row']);
    });
  });

  it('removes a stopped row of a sleeping environment that is not its current release', () => {
    const old = { ...row({ desiredState: 'stopped', sleeping: true }), release: { status: 'superseded', environment: { sleepingSince: new Date(0) } } };
    expect(decide([old], [container('c1', { running: false })])).toEqual(['remove c1', 'announce-stopped', 'delete-row']);
  });

  it('starts the kept container of a woken row rather than creating one', () => {
    expect(decide([row({ actualState: 'stopped', healthy: false, hostPort: null })], [container('c1', { running: false })])).toEqual(['resume c1']);
  });

  it('takes an exited container for a crash (its cause, OOM or not, is read when acting)', () => {
    expect(decide([row({ actualState: 'running' })], [container('c1', { running: false })], tracked())).toEqual(['crashed c1']);
    expect(decide([row({ actualState: 'starting', healthy: false })], [container('c1', { running: false })], tracked())).toEqual(['crashed c1']);
  });

  it('keeps a running container and removes the other ones of the same instance', () => {
    expect(decide([row()], [container('c0', { running: false }), container('c1'), container('c2')], tracked())).toEqual(['remove c2', 'remove c0', 'follow-output c1']);
  });

  it('adopts a running container it did not start (after an agent restart)', () => {
    expect(decide([row()], [container('c1')])).toEqual(['adopt c1', 'follow-output c1', 'probe-liveness']);
    expect(decide([row()], [container('c9')], tracked())).toEqual(['adopt c9', 'follow-output c9']);
  });

  it('marks a running worker healthy without a probe, once', () => {
    expect(decide([row({ processType: 'worker', actualState: 'starting', healthy: false, hostPort: null })], [container('c1')], tracked())).toEqual(['follow-output c1', 'mark-healthy']);
    expect(decide([row({ processType: 'worker', hostPort: null })], [container('c1')], tracked())).toEqual(['follow-output c1']);
  });

  it('probes a starting web instance every round, and a healthy one every LIVENESS_EVERY_MS', () => {
    expect(decide([row({ actualState: 'starting', healthy: false })], [container('c1')], tracked())).toEqual(['follow-output c1', 'probe-startup']);
    const health = tracked({ lastProbeAt: NOW - LIVENESS_EVERY_MS + 1 });
    expect(decide([row()], [container('c1')], health)).toEqual(['follow-output c1']);
    expect(decide([row()], [container('c1')], health, NOW + 1)).toEqual(['follow-output c1', 'probe-liveness']);
  });

  it('puts the unwanted containers first, then each row in order', () => {
    const actions = decideReconcile({ rows: [row({ id: 'a', actualState: 'pending', healthy: false }), row({ id: 'b', actualState: 'pending', healthy: false })], containers: [container('x', { instanceId: 'gone' })], health: new Map(), now: NOW });
    expect(actions.map((a) => ('row' in a ? `${a.kind} ${a.row.id}` : a.kind))).toEqual(['remove-unwanted', 'create a', 'create b']);
  });
});

describe('nextRoundIn', () => {
  it('looks again soon while something is starting, when the backoff ends while one waits, and not when all is healthy', () => {
    expect(nextRoundIn([row()], new Map(), NOW)).toBeUndefined();
    expect(nextRoundIn([row({ desiredState: 'stopped', actualState: 'stopped', healthy: false })], new Map(), NOW)).toBeUndefined();
    expect(nextRoundIn([row({ actualState: 'starting', healthy: false })], new Map(), NOW)).toBe(100);
    expect(nextRoundIn([row({ actualState: 'crashed', healthy: false })], tracked({ notBefore: NOW + 4000 }), NOW)).toBe(4000);
  });
});
