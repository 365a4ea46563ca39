import { Logger } from '@nestjs/common';
import { ChildProcess, fork } from 'node:child_process';
import { DEFAULT_RESTART_POLICY, restartDelay, RestartPolicy } from './restart-policy';

/** A set of roles run by one supervised process. */
export interface ProcessGroup {
  name: string;
  roles: string[];
}

interface Running {
  group: ProcessGroup;
  child: ChildProcess | null;
  startedAt: number;
  runs: number[];
  timer: NodeJS.Timeout | null;
}

/** Exit status of a process whose configuration is invalid: starting it again cannot help. */
const EX_CONFIG = 78;

/**
 * Keeps Berth's role processes running on a machine with no init system to do it: each group
 * of roles runs as a child process of `npm start`; one that dies is started again after a
 * delay that grows while it keeps dying early (restartDelay), with why it ended in the log.
 * SIGTERM or SIGINT stops every child and then the supervisor.
 */
export class Supervisor {
  private readonly logger = new Logger('Supervisor');
  private readonly running: Running[];
  private stopping = false;
  private finished!: (code: number) => void;
  /** Resolves with the exit status once every child has ended for good. */
  readonly done = new Promise<number>((resolve) => (this.finished = resolve));

  constructor(
    groups: ProcessGroup[],
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {
    this.running = groups.map((group) => ({ group, child: null, startedAt: 0, runs: [], timer: null }));
  }

  start(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void this.stop(signal));
    for (const entry of this.running) this.spawn(entry);
  }

  /** Pids of the running children by group name (tests, operators). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.running.map((entry) => [entry.group.name, entry.child?.pid]));
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', exitCode = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.log(`stopping (${signal})`);
    const ending = this.running.map((entry) => {
      if (entry.timer) clearTimeout(entry.timer);
      const child = entry.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
      });
    });
    await Promise.all(ending);
    this.finished(exitCode);
  }

  private spawn(entry: Running): void {
    entry.timer = null;
    if (this.stopping) return;
    const { group } = entry;
    const child = fork(this.entry, [], { env: { ...this.env, BERTH_ROLES: group.roles.join(',') }, stdio: 'inherit' });
    entry.child = child;
    entry.startedAt = Date.now();
    this.logger.log(`started ${group.name} (${group.roles.join(', ')}) as process ${child.pid}`);
    child.once('exit', (code, signal) => {
      entry.child = null;
      if (this.stopping) return;
      const ranMs = Date.now() - entry.startedAt;
      entry.runs = [...entry.runs.slice(-20), ranMs];
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      if (code === EX_CONFIG) {
        this.logger.error(`${group.name} ${how}: its configuration is invalid (see above). Fix it and start Berth again.`);
        void this.stop('SIGTERM', EX_CONFIG);
        return;
      }
      const delay = restartDelay(entry.runs, this.policy);
      this.logger.warn(`${group.name} ${how} after ${formatDuration(ranMs)}; starting it again in ${formatDuration(delay)}`);
      entry.timer = setTimeout(() => this.spawn(entry), delay);
    });
  }
}

function formatDuration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s` : `${Math.round(ms / 60_000)} min`;
}
