import { Injectable, Logger } from '@nestjs/common';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { BerthConfig } from '@berth/config';
import { paths } from './haproxy-config';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs HAProxy so it cannot outlive the router: HAProxy reads nothing from its stdin, so
 * this shell keeps a copy of the router's pipe and stops HAProxy when the pipe closes, which
 * happens however the router ends (even by SIGKILL).
 */
const WRAPPER = `exec 3<&0
"$@" 3<&- </dev/null &
hp=$!
(read -r _ <&3; kill -TERM "$hp" 2>/dev/null) &
exec 3<&-
wait "$hp"`;

/** How HAProxy runs for a directory, under the wrapper above: the program and its arguments. */
export function haproxyCommand(bin: string, dir: string): [string, string[]] {
  const p = paths(dir);
  return ['/bin/sh', ['-c', WRAPPER, 'berth-haproxy', bin, '-W', '-f', p.config, '-p', p.pidFile]];
}

/**
 * One HAProxy (master-worker mode) in its own directory: starts it, reloads it seamlessly
 * with a new configuration (listening sockets pass to the new process, so no connection is
 * refused), sends runtime API commands, stops it. Touches the directory and the process only.
 */
@Injectable()
export class HaproxyProcess {
  private readonly logger = new Logger('HAProxy');
  private child: ChildProcess | null = null;
  private dir = '';
  private stopping = false;
  /** Called when HAProxy exits without being asked to. */
  onUnexpectedExit: (code: number | null) => void = () => {};

  constructor(private readonly config: BerthConfig) {}

  get running(): boolean {
    return this.child !== null;
  }

  /** Writes the files and starts HAProxy; resolves once its runtime API answers. */
  async start(dir: string, files: Record<string, string>): Promise<void> {
    this.dir = dir;
    this.stopping = false;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await this.stopLeftover();
    this.write(files);
    await this.validate();
    const p = paths(dir);
    rmSync(p.adminSocket, { force: true });
    const [program, args] = haproxyCommand(this.config.router.haproxyBin, dir);
    const child = spawn(program, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      for (const line of chunk.split('\n').filter((l) => l.trim())) {
        this.logger[haproxyLogLevel(line, this.stopping)](line.trim());
      }
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    void exited.then((code) => {
      if (this.child === child) this.child = null;
      if (!this.stopping) this.onUnexpectedExit(code);
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (this.child !== child) throw new Error(`HAProxy did not start: ${stderr.trim() || 'it exited at once'}`);
      try {
        await this.command(['show info']);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`HAProxy did not answer on ${p.adminSocket} within 10 s: ${stderr.trim()}`);
        await sleep(50);
      }
    }
  }

  /** Replaces the configuration and reloads; resolves once the new process answers. */
  async reload(files: Record<string, string>): Promise<void> {
    if (!this.child) throw new Error('HAProxy is not running');
    this.write(files);
    await this.validate();
    const before = await this.workerPid();
    process.kill(this.masterPid(), 'SIGUSR2');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await sleep(25);
      const pid = await this.workerPid().catch(() => before);
      if (pid !== before) return;
    }
    throw new Error('HAProxy did not reload within 10 s');
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
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(this.masterPid(), 'SIGTERM');
    } catch {
      child.stdin?.end(); // the wrapper stops it
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    child.stdin?.destroy();
    this.child = null;
    rmSync(paths(this.dir).pidFile, { force: true });
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

  private masterPid(): number {
    return Number(readFileSync(paths(this.dir).pidFile, 'utf8').trim());
  }

  private async workerPid(): Promise<number> {
    const info = await this.command(['show info']);
    const pid = /^Pid: (\d+)/m.exec(info);
    if (!pid) throw new Error('no Pid in show info');
    return Number(pid[1]);
  }

  /** A HAProxy left by a router of this directory that died before it could stop it. */
  private async stopLeftover(): Promise<void> {
    const { pidFile, config } = paths(this.dir);
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return; // gone already
    }
    if (!cmdline.includes(config)) return;
    this.logger.warn(`stopping HAProxy ${pid} left over from an earlier router in ${this.dir}`);
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(50);
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
