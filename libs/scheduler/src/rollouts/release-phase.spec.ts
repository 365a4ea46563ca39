import { INTERRUPTED_REASON, ReleasePhaseEnd, ReleasePhaseRun } from '@berth/releases';
import { LineSplitter, ReleasePhaseService } from './release-phase.service';

describe('LineSplitter', () => {
  it('gives whole lines out of chunks that split them', () => {
    const lines: string[] = [];
    const split = new LineSplitter((line) => lines.push(line));
    split.write('one\ntw');
    split.write('o\r\nthree');
    expect(lines).toEqual(['one', 'two']);
    split.end();
    expect(lines).toEqual(['one', 'two', 'three']);
  });
});

describe('ReleasePhaseService', () => {
  const image = { tag: 'localhost/berth/a:1', processTypes: { web: 'node server.js', release: 'node migrate.js' } };
  const base = {
    id: 'r1',
    version: 4,
    environmentId: 'e1',
    buildId: 'b1',
    configEncrypted: 'sealed',
    image,
    formation: [{ processType: 'web', memoryMb: 256, cpuMillis: 500, pidsLimit: 256, diskMb: 512 }],
    environment: { name: 'production', kind: 'production', app: { id: 'a1', name: 'shop' } },
    releasePhaseStartedAt: null as Date | null,
    releasePhaseEndedAt: null as Date | null,
  };

  function service(row: typeof base, run: (input: ReleasePhaseRun) => Promise<ReleasePhaseEnd>) {
    const claims: unknown[] = [];
    const pushed: string[] = [];
    const logged: { source: string; processType?: string | null; text: string }[] = [];
    const db = {
      release: {
        findUnique: async () => row,
        updateMany: async (args: { where: { releasePhaseStartedAt: null } }) => {
          claims.push(args);
          const free = row.releasePhaseStartedAt === null;
          row.releasePhaseStartedAt = new Date();
          return { count: free ? 1 : 0 };
        },
        update: async () => (row.releasePhaseEndedAt = new Date()),
      },
    };
    const runner = { run: jest.fn(run) };
    const svc = new ReleasePhaseService(
      db as never,
      runner as never,
      { openConfig: () => ({ DATABASE_URL: 'postgres://x' }) } as never,
      { append: async (_id: string, text: string) => void pushed.push(text) } as never,
      { write: (line: { source: string; processType?: string | null; text: string }) => void logged.push(line) } as never,
      { scheduler: { releasePhaseTimeoutMs: 60_000 }, formation: {} } as never,
      { now: () => new Date() } as never,
    );
    return { svc, runner, pushed, logged, claims };
  }

  it('runs the release command with the release config and says so on the push and in the log', async () => {
    const { svc, runner, pushed, logged } = service({ ...base }, async (input) => {
      input.output('migrating\nmigra');
      input.output('ted 3 tables\n');
      return { exitCode: 0, timedOut: false };
    });
    expect(await svc.run({ id: 'r1' })).toBeNull();
    expect(runner.run.mock.calls[0][0]).toMatchObject({ command: 'node migrate.js', env: { DATABASE_URL: 'postgres://x' }, image: 'localhost/berth/a:1', size: { memoryMb: 256 } });
    expect(pushed.join('')).toContain('-----> Running the release phase of v4: node migrate.js\n       migrating\n       migrated 3 tables\n');
    expect(logged.filter((l) => l.processType === 'release').map((l) => l.text)).toEqual(['migrating', 'migrated 3 tables']);
  });

  it('fails the release with the exit code and the last line', async () => {
    const { svc } = service({ ...base }, async (input) => {
      input.output('Error: relation "users" already exists\n');
      return { exitCode: 1, timedOut: false };
    });
    expect(await svc.run({ id: 'r1' })).toBe('release command exited with code 1: Error: relation "users" already exists');
  });

  it('does not run again a release phase that an attempt which died began: the release fails', async () => {
    const { svc, runner } = service({ ...base, releasePhaseStartedAt: new Date() }, async () => ({ exitCode: 0, timedOut: false }));
    expect(await svc.run({ id: 'r1' })).toBe(INTERRUPTED_REASON);
    expect(runner.run).not.toHaveBeenCalled();
  });

  it('goes on without running anything when the image has no release command, or its phase ended', async () => {
    const none = service({ ...base, image: { ...image, processTypes: { web: 'node server.js', release: null as never } } }, async () => ({ exitCode: 1, timedOut: false }));
    expect(await none.svc.run({ id: 'r1' })).toBeNull();
    const done = service({ ...base, releasePhaseStartedAt: new Date(), releasePhaseEndedAt: new Date() }, async () => ({ exitCode: 1, timedOut: false }));
    expect(await done.svc.run({ id: 'r1' })).toBeNull();
    expect(none.runner.run).not.toHaveBeenCalled();
    expect(done.runner.run).not.toHaveBeenCalled();
  });
});
