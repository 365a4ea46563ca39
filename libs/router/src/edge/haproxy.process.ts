import { Injectable, Logger } from '@nestjs/common';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { BerthConfig } from '@berth/config';
import { paths } from './haproxy-config';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How HAProxy runs for a directory (master-worker mode, in the foreground): the program and its arguments. */
export function haproxyCommand(bin: string, dir: string): [string, string[]] {
  const p = paths(dir);
  return [bin, ['-W', '-f', p.config, '-p', p.pidFile]];
}

/** Whether a process runs (a zombie, dead but not yet reaped, does not). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

/** The sockets a process holds open, as `/proc` names them (`socket:[inode]`); none once it is gone. */
export function socketsOf(pid: number): Set<string> {
  const sockets = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith('socket:')) sockets.add(target);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone
  }
  return sockets;
}

/**
 * Whether an old HAProxy worker still holds a socket the new one holds: the listeners (the
 * admin socket, the HTTP port) are handed over at a reload, and until the old worker has
 * closed its copies on being told to stop, it accepts connections beside the new one. A
 * runtime API command sent then could reach the old worker and be lost with it.
 */
export function stillListening(oldWorker: number, newWorker: number): boolean {
  const old = socketsOf(oldWorker);
  for (const socket of socketsOf(newWorker)) if (old.has(socket)) return true;
  return false;
}

/**
 * The HAProxy master of a directory that runs already (left by a router that was killed or
 * crashed): its pid file names a live process whose command line reads this directory's
 * configuration. Null when there is none.
 */
export function runningHaproxy(dir: string): number | null {
  const { pidFile, config } = paths(dir);
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) return null;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes(config) && args.includes('-W') ? pid : null;
  } catch {
    return null;
  }
}

/**
 * One HAProxy (master-worker mode) in its own directory: starts it, reloads it seamlessly
 * with a new configuration (listening sockets pass to the new process, so no connection is
 * refused), sends runtime API commands, stops it. Touches the directory and the process only.
 *
 * HAProxy does not depend on the router process: it runs in a session of its own, its stderr
 * goes to haproxy.log in the directory (read back into the router's log), so apps keep
 * answering while a killed router is restarted. A router that starts while this directory's
 * HAProxy runs adopts it (and reloads it with the current routes) rather than replacing it.
 * stop(), the router's graceful shutdown, stops it.
 */
@Injectable()
export class HaproxyProcess {
  private readonly logger = new Logger('HAProxy');
  private pid: number | null = null;
  private child: ChildProcess | null = null;
  private watch: NodeJS.Timeout | null = null;
  private logOffset = 0;
  private dir = '';
  private stopping = false;
  /** Called when HAProxy exits without being asked to. */
  onUnexpectedExit: (code: number | null) => void = () => {};

  constructor(private readonly config: BerthConfig) {}

  get running(): boolean {
    return this.pid !== null;
  }

  /** The master's pid while it runs. */
  get masterProcess(): number | null {
    return this.pid;
  }

  /**
   * Writes the files and starts HAProxy, or adopts the one of this directory that runs
   * already and reloads it with the files; resolves once its runtime API answers.
   * Says whether it adopted one.
   */
  async start(dir: string, files: Record<string, string>): Promise<{ adopted: boolean }> {
    this.dir = dir;
    this.stopping = false;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.write(files);
    await this.validate();
    const p = paths(dir);
    const logFile = join(dir, 'haproxy.log');
    const running = runningHaproxy(dir);
    if (running !== null) {
      this.pid = running;
      this.logOffset = existsSync(logFile) ? statSync(logFile).size : 0;
      this.watchProcess();
      try {
        await this.command(['show info']);
        await this.reload(files);
        this.logger.log(`adopted HAProxy ${running}, left running by an earlier router in ${dir}`);
        return { adopted: true };
      } catch (error) {
        this.logger.warn(`HAProxy ${running} of ${dir} does not answer (${(error as Error).message}); replacing it`);
        this.pid = null;
        this.stopWatching();
        await this.terminate(running);
      }
    }
    rmSync(p.adminSocket, { force: true });
    writeFileSync(logFile, '', { mode: 0o600 });
    this.logOffset = 0;
    const log = openSync(logFile, 'a');
    const [program, args] = haproxyCommand(this.config.router.haproxyBin, dir);
    // Its own session, nothing shared with the router: it outlives a router that is killed.
    const child = spawn(program, args, { detached: true, stdio: ['ignore', 'ignore', log] });
    closeSync(log);
    child.unref();
    this.child = child;
    this.pid = child.pid ?? null;
    let exitCode: number | null | undefined;
    child.once('exit', (code) => {
      exitCode = code;
      if (this.child === child) this.child = null;
    });
    child.once('error', () => (exitCode = null));
    this.watchProcess();
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (exitCode !== undefined) {
        this.pid = null;
        this.stopWatching();
        throw new Error(`HAProxy did not start: ${this.readLog().trim() || 'it exited at once'}`);
      }
      try {
        await this.command(['show info']);
        return { adopted: false };
      } catch {
        if (Date.now() > deadline) throw new Error(`HAProxy did not answer on ${p.adminSocket} within 10 s: ${this.readLog().trim()}`);
        await sleep(50);
      }
    }
  }

  /**
   * Replaces the configuration and reloads; resolves once the new worker answers and the old
   * one has let go of the listeners, so every connection after (runtime API or HTTP) reaches
   * the new worker.
   */
  async reload(files: Record<string, string>): Promise<void> {
    if (this.pid === null) throw new Error('HAProxy is not running');
    this.write(files);
    await this.validate();
    const before = await this.workerPid();
    process.kill(this.pid, 'SIGUSR2');
    // The new worker parses the whole configuration first: about 2 s for 5,000 backends on a
    // busy 2-core host, so the wait leaves room for several times that.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      await sleep(25);
      const pid = await this.workerPid().catch(() => before);
      if (pid !== before && !stillListening(before, pid)) return;
    }
    throw new Error('HAProxy did not reload within 30 s');
  }

  /**
   * Sends runtime API commands (in order, on one connection) and returns what HAProxy
   * answered. Commands that change state answer nothing when they succeed.
   */
  async command(commands: string[]): Promise<string> {
    // One line holds at most HAProxy's buffer (16 kB): long lists go in several connections.
    let answer = '';
    for (let i = 0; i < commands.length; i += 100) answer += await this.send(commands.slice(i, i + 100));
    return answer;
  }

  private send(commands: string[]): Promise<string> {
    const socketPath = paths(this.dir).adminSocket;
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      let out = '';
      socket.setEncoding('utf8');
      socket.setTimeout(5000, () => socket.destroy(new Error('HAProxy runtime API timed out')));
      socket.on('data', (chunk: string) => (out += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(out));
      socket.end(`${commands.join('; ')}\n`);
    });
  }

  /** Stops HAProxy: open connections are cut. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopWatching();
    const pid = this.pid;
    if (pid === null) return;
    await this.terminate(pid);
    this.drainLog();
    this.pid = null;
    this.child = null;
    rmSync(paths(this.dir).pidFile, { force: true });
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  private async terminate(pid: number): Promise<void> {
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(pid, s);
      } catch {
        // gone already
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + 5000;
    while (processAlive(pid)) {
      if (Date.now() > deadline) {
        signal('SIGKILL');
        for (let i = 0; i < 40 && processAlive(pid); i++) await sleep(25);
        return;
      }
      await sleep(25);
    }
  }

  /** Notices HAProxy's death (it is not always our child) and copies its log lines into ours. */
  private watchProcess(): void {
    this.stopWatching();
    this.watch = setInterval(() => {
      this.drainLog();
      const pid = this.pid;
      if (pid === null || processAlive(pid)) return;
      this.pid = null;
      this.child = null;
      this.stopWatching();
      if (!this.stopping) this.onUnexpectedExit(null);
    }, 500);
    this.watch.unref();
  }

  private stopWatching(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
  }

  private readLog(): string {
    try {
      return readFileSync(join(this.dir, 'haproxy.log'), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  private drainLog(): void {
    const file = join(this.dir, 'haproxy.log');
    let text: string;
    try {
      const size = statSync(file).size;
      if (size < this.logOffset) this.logOffset = 0;
      if (size === this.logOffset) return;
      const buffer = readFileSync(file).subarray(this.logOffset);
      const end = buffer.lastIndexOf(10) + 1;
      if (end === 0) return;
      this.logOffset += end;
      text = buffer.subarray(0, end).toString('utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n').filter((l) => l.trim())) {
      this.logger[haproxyLogLevel(line, this.stopping)](line.trim());
    }
  }

  private write(files: Record<string, string>): void {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, content, { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    }
  }

  private async validate(): Promise<void> {
    try {
      await execFileAsync(this.config.router.haproxyBin, ['-c', '-q', '-f', paths(this.dir).config]);
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`HAProxy refused the configuration ${paths(this.dir).config}: ${(e.stderr || e.message).trim()}`);
    }
  }

  private async workerPid(): Promise<number> {
    const info = await this.command(['show info']);
    const pid = /^Pid: (\d+)/m.exec(info);
    if (!pid) throw new Error('no Pid in show info');
    return Number(pid[1]);
  }
}

/**
 * HAProxy's own lines on stderr sorted for our log: what every reload and rollout prints
 * (proxies of the former worker stopping, its exit, servers put in and out of maintenance)
 * is routine; stopping HAProxy makes it report its workers' exit as alerts, expected then.
 */
const ROUTINE = [
  /Proxy \S+ stopped \(cumulated conns/,
  /Former worker \(\d+\) exited with code 0/,
  /Server \S+ is UP\/READY \(leaving forced maintenance\)/,
  /Server \S+ is going DOWN for maintenance\b/,
];

export function haproxyLogLevel(line: string, stopping: boolean): 'debug' | 'warn' | 'error' {
  if (stopping || line.includes('[NOTICE]') || ROUTINE.some((pattern) => pattern.test(line))) return 'debug';
  return line.includes('[ALERT]') ? 'error' : 'warn';
}
