import { Controller, Get, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Public } from '@berth/accounts';
import { BerthConfig } from '@berth/config';
import { AppError, notFound, toErrorBody } from '@berth/common';
import { HookServer } from '../hooks/hook-server';
import { PushService } from '../push/push.service';
import { GitRepos, GitService } from '../repos/git-repos';
import { GitAccess } from './git-access';
import { FLUSH, PacketSplitter, parseReceiveCommands, pkt, ReceiveCommands, serviceAdvertisement, sideband } from './pkt-line';

const SERVICES: Record<string, GitService> = { 'git-receive-pack': 'receive-pack', 'git-upload-pack': 'upload-pack' };

/**
 * Git's smart HTTP protocol at /git/<app>.git: info/refs, git-upload-pack (clone, fetch) and
 * git-receive-pack (push). The system git does the work; this only checks who may do what,
 * enforces the push size limit, and connects each push to Berth through its pre-receive hook.
 * Errors are plain text, which git shows to the user as "remote: ..." lines.
 */
@ApiExcludeController()
@Public()
@Controller('git')
export class GitHttpController {
  private readonly logger = new Logger('GitHttp');

  constructor(
    private readonly access: GitAccess,
    private readonly repos: GitRepos,
    private readonly hooks: HookServer,
    private readonly pushes: PushService,
    private readonly config: BerthConfig,
  ) {}

  @Get(':repo/info/refs')
  async infoRefs(@Param('repo') repo: string, @Query('service') serviceName: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const service = SERVICES[serviceName];
    if (!service) {
      return this.refuse(res, notFound('dumb_http_unsupported', 'Berth speaks git\'s smart HTTP protocol only; use git 1.6.6 or newer.'));
    }
    const target = await this.open(repo, service, req, res);
    if (!target) return;
    const child = this.repos.service(service, target.path, { advertise: true });
    res.status(200).setHeader('content-type', `application/x-git-${service}-advertisement`);
    res.setHeader('cache-control', 'no-cache');
    res.write(serviceAdvertisement(`git-${service}`));
    child.stdout.pipe(res);
    child.stderr.on('data', (chunk: Buffer) => this.logger.warn(`git ${service} --advertise-refs: ${chunk.toString().trim()}`));
    child.on('error', (error) => res.destroy(error));
  }

  @Post(':repo/git-upload-pack')
  async uploadPack(@Param('repo') repo: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const target = await this.open(repo, 'upload-pack', req, res);
    if (!target) return;
    const child = this.repos.service('upload-pack', target.path);
    res.status(200).setHeader('content-type', 'application/x-git-upload-pack-result');
    res.setHeader('cache-control', 'no-cache');
    requestBody(req).pipe(child.stdin).on('error', () => undefined);
    child.stdout.pipe(res);
    child.on('error', (error) => res.destroy(error));
    res.on('close', () => {
      if (!res.writableFinished) child.kill('SIGTERM');
    });
  }

  @Post(':repo/git-receive-pack')
  async receivePack(@Param('repo') repo: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const target = await this.open(repo, 'receive-pack', req, res);
    if (!target) return;
    const { app, userId } = target.caller;
    const session = this.hooks.open((push) =>
      this.pushes.preReceive({ app: { id: app.id, name: app.name, productionBranch: app.productionBranch }, userId, repoPath: target.path }, push),
    );
    const child = this.repos.service('receive-pack', target.path, { hooksPath: session.hooksPath, env: session.env });
    res.status(200).setHeader('content-type', 'application/x-git-receive-pack-result');
    res.setHeader('cache-control', 'no-cache');

    const limit = this.config.git.maxPushBytes;
    let received = 0;
    let head = Buffer.alloc(0);
    let commands: ReceiveCommands | null = null;
    let tooLarge = false;
    const body = requestBody(req);
    body.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      received += chunk.length;
      if (!commands) {
        head = Buffer.concat([head, chunk]);
        commands = parseReceiveCommands(head);
      }
      if (received > limit) {
        // Git never gets the whole pack, so it keeps nothing; the client reads Berth's answer.
        tooLarge = true;
        child.stdin.end();
        body.resume();
        return;
      }
      if (!child.stdin.write(chunk)) body.pause();
    });
    child.stdin.on('drain', () => body.resume());
    child.stdin.on('error', () => body.resume());
    body.on('end', () => child.stdin.end());
    body.on('error', () => child.stdin.end());

    // Git's answer goes out packet by packet, so Berth can answer in its place at a packet boundary.
    const packets = new PacketSplitter();
    child.stdout.on('data', (chunk: Buffer) => {
      const whole = packets.push(chunk);
      if (!tooLarge && whole.length) res.write(whole);
    });
    child.stderr.on('data', (chunk: Buffer) => this.logger.debug(`git receive-pack: ${chunk.toString().trim()}`));
    child.on('close', () => {
      session.close();
      if (tooLarge) res.end(this.tooLargeAnswer(commands));
      else res.end();
    });
    child.on('error', (error) => {
      session.close();
      res.destroy(error);
    });
    // A pusher who disconnects before the push is decided rejects it: the hook fails, git drops the quarantine.
    res.on('close', () => {
      if (!res.writableFinished) {
        session.abort();
        child.stdin.end();
      }
    });
  }

  /** Checks the caller and finds (or creates) the repository; answers the request itself when refused. */
  private async open(repo: string, service: GitService, req: Request, res: Response) {
    const appName = repo.replace(/\.git$/, '');
    try {
      const caller = await this.access.authorize(req, appName, service);
      const path = await this.repos.ensure(caller.app.id, caller.app.productionBranch);
      return { caller, path };
    } catch (error) {
      this.refuse(res, error);
      return null;
    }
  }

  /** An error as git shows it: plain text becomes "remote: ..." lines; 401 makes git ask for credentials. */
  private refuse(res: Response, error: unknown): void {
    const body = toErrorBody(error);
    if (!(error instanceof AppError)) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    if (body.statusCode === 401) res.setHeader('WWW-Authenticate', 'Basic realm="Berth", charset="UTF-8"');
    res.status(body.statusCode).type('text/plain; charset=utf-8').send(`${body.message}\n`);
  }

  /** Berth's answer to an oversized push, in receive-pack's own format so git reports each ref as rejected. */
  private tooLargeAnswer(commands: ReceiveCommands | null): Buffer {
    const limitMb = this.config.git.maxPushBytes / (1024 * 1024);
    const message =
      `Push rejected: it is larger than this server's limit of ${formatMb(limitMb)} MiB (GIT_MAX_PUSH_MB).\n` +
      'Nothing was stored. Keep large files out of the repository (build artifacts, media, node_modules), or ask the operator for a higher limit.\n';
    const capabilities = commands?.capabilities ?? [];
    const report = Buffer.concat([
      pkt('unpack push larger than the size limit\n'),
      ...(commands?.refs ?? []).map((ref) => pkt(`ng ${ref} push larger than ${formatMb(limitMb)} MiB\n`)),
      FLUSH,
    ]);
    const sidebands = capabilities.includes('side-band-64k') || capabilities.includes('side-band');
    if (!sidebands) return capabilities.includes('report-status') ? report : FLUSH;
    return Buffer.concat([sideband(2, message), ...(capabilities.includes('report-status') || capabilities.includes('report-status-v2') ? [sideband(1, report)] : []), FLUSH]);
  }
}

/** The request body, decompressed when git sent it gzipped. */
function requestBody(req: Request): Readable {
  return /gzip/i.test(String(req.headers['content-encoding'] ?? '')) ? req.pipe(createGunzip()) : req;
}

const formatMb = (mb: number) => (mb >= 10 ? mb.toFixed(0) : mb.toFixed(2).replace(/\.?0+$/, ''));
