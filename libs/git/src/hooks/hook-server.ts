import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QuarantineEnv } from '../repos/git-repos';
import { preReceiveHook } from './hook-script';

/** One ref a push updates; `newSha` all zeros deletes it, `oldSha` all zeros creates it. */
export interface RefUpdate {
  oldSha: string;
  newSha: string;
  ref: string;
}

export const ZERO_SHA = '0'.repeat(40);

export interface PreReceive {
  updates: RefUpdate[];
  quarantine: QuarantineEnv;
  /** Sends text to the pusher (git shows it as "remote:" lines). */
  say: (text: string) => void;
  /** Aborted when the pusher goes away. */
  signal: AbortSignal;
}

/** Decides a push: resolves to the hook's exit code (0 accepts). */
export type PreReceiveHandler = (push: PreReceive) => Promise<number>;

export interface HookSession {
  /** Environment for `git receive-pack` so its hook can reach this session. */
  env: Record<string, string>;
  hooksPath: string;
  /** Ends the session: the pusher went away (the push is rejected if still undecided). */
  abort(): void;
  close(): void;
}

const MAX_HOOK_BODY = 4 * 1024 * 1024;

/**
 * Where pushes are decided: a Unix socket in a private directory, served by the process that
 * spawned `git receive-pack`. Each push gets a one-time secret; its pre-receive hook (written
 * into the same directory and used through core.hooksPath) presents it and streams the answer.
 */
@Injectable()
export class HookServer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('GitHooks');
  private readonly sessions = new Map<string, { handler: PreReceiveHandler; controller: AbortController; used: boolean }>();
  private dir = '';
  private server: Server | null = null;

  get socketPath(): string {
    return join(this.dir, 'hooks.sock');
  }

  get hooksPath(): string {
    return join(this.dir, 'hooks');
  }

  async onModuleInit(): Promise<void> {
    // A short path: Unix socket paths are limited to about 100 bytes.
    this.dir = await mkdtemp(join(tmpdir(), 'berth-git-'));
    await chmod(this.dir, 0o700);
    await mkdir(this.hooksPath);
    await writeFile(join(this.hooksPath, 'pre-receive'), preReceiveHook(process.execPath), { mode: 0o755 });
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.socketPath, () => resolve());
    });
  }

  async onModuleDestroy(): Promise<void> {
    for (const session of this.sessions.values()) session.controller.abort();
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
    this.server?.closeAllConnections?.();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  open(handler: PreReceiveHandler): HookSession {
    const secret = randomBytes(32).toString('hex');
    const controller = new AbortController();
    this.sessions.set(secret, { handler, controller, used: false });
    return {
      env: { BERTH_HOOK_SOCKET: this.socketPath, BERTH_HOOK_SECRET: secret },
      hooksPath: this.hooksPath,
      abort: () => controller.abort(),
      close: () => this.sessions.delete(secret),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (text: string, exit: number): void => void res.end(`${JSON.stringify({ out: text })}\n${JSON.stringify({ exit })}\n`);
    let body: { secret?: string; updates?: string; quarantine?: QuarantineEnv };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      res.writeHead(400);
      return answer('Berth could not read the hook request.\n', 1);
    }
    const session = typeof body.secret === 'string' ? this.sessions.get(body.secret) : undefined;
    if (!session || session.used) {
      res.writeHead(403);
      return answer('This push is unknown to Berth (or was already decided). Push again.\n', 1);
    }
    session.used = true;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    // The hook goes away when git does, e.g. when the pusher disconnects.
    res.on('close', () => {
      if (!res.writableFinished) session.controller.abort();
    });
    const say = (text: string) => {
      if (!res.writableEnded) res.write(`${JSON.stringify({ out: text.endsWith('\n') ? text : `${text}\n` })}\n`);
    };
    let exit = 1;
    try {
      exit = await session.handler({ updates: parseUpdates(body.updates ?? ''), quarantine: body.quarantine ?? {}, say, signal: session.controller.signal });
    } catch (error) {
      this.logger.error(`pre-receive failed: ${(error as Error).stack ?? String(error)}`);
      say(`Berth could not handle this push (${(error as Error).message}). Push again; if it keeps failing, tell the operator.`);
      exit = 1;
    }
    if (!res.writableEnded) res.end(`${JSON.stringify({ exit })}\n`);
  }
}

function parseUpdates(text: string): RefUpdate[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter((parts) => parts.length === 3)
    .map(([oldSha, newSha, ref]) => ({ oldSha, newSha, ref }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_HOOK_BODY) req.destroy(new Error('hook request too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
