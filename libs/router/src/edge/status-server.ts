import { Injectable, Logger } from '@nestjs/common';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { BerthConfig } from '@berth/config';
import { EnvironmentStatus, EnvironmentStatusService } from '@berth/apps';
import { EnvironmentRoute, normalizeHost } from '../routes/route-table';
import { pageFormat, renderPage, unavailablePage, unknownHostPage } from './status-pages';

const CACHE_MS = 1000;

/**
 * The router's own small HTTP server (on a Unix socket) that HAProxy falls back to: 404 for
 * hosts no environment answers to, 503 with the reason when an environment has nothing
 * running. Statuses are cached for a second so a flood of requests to a stopped app stays cheap.
 */
@Injectable()
export class StatusServer {
  private readonly logger = new Logger('StatusPages');
  private server: Server | null = null;
  private readonly cache = new Map<string, { at: number; status: Promise<EnvironmentStatus | null> }>();
  private lookup: (host: string) => Promise<EnvironmentRoute | undefined> = async () => undefined;

  constructor(
    private readonly statuses: EnvironmentStatusService,
    private readonly config: BerthConfig,
  ) {}

  async start(socketPath: string, lookup: (host: string) => Promise<EnvironmentRoute | undefined>): Promise<void> {
    this.lookup = lookup;
    mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
    rmSync(socketPath, { force: true });
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        this.logger.error(`status page for ${req.headers.host}: ${(error as Error).message}`);
        if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('503 Service unavailable\n\nThe app is not available right now. Try again in a few seconds.\n');
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = normalizeHost(req.headers.host);
    const route = await this.lookup(host);
    const requestId = req.headers['x-request-id'] as string | undefined;
    let page;
    if (!route) {
      page = unknownHostPage(host, this.config.router.domain);
    } else {
      const status = await this.status(route.id);
      page = !status
        ? unknownHostPage(host, this.config.router.domain)
        : status.state === 'running'
          ? unavailablePage(route.appName, route.envName, { message: 'Its instances are changing over right now.', hint: 'Try again in a few seconds.' })
          : unavailablePage(route.appName, route.envName, status);
    }
    const format = pageFormat(req.headers.accept);
    const body = renderPage(page, format, requestId);
    res.writeHead(page.status, {
      'content-type': format === 'html' ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
      ...(page.status === 503 ? { 'retry-after': '5' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private status(environmentId: string): Promise<EnvironmentStatus | null> {
    const now = Date.now();
    const hit = this.cache.get(environmentId);
    if (hit && now - hit.at < CACHE_MS) return hit.status;
    const status = this.statuses.status(environmentId);
    this.cache.set(environmentId, { at: now, status });
    if (this.cache.size > 10_000) this.cache.clear();
    status.catch(() => this.cache.delete(environmentId));
    return status;
  }
}
