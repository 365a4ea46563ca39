import { Injectable, Logger } from '@nestjs/common';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { BerthConfig } from '@berth/config';
import { EnvironmentStatus, EnvironmentStatusService } from '@berth/tenant-apps';
import type { Route } from '@berth/contracts';
import { Waker, WakeFailed } from '@berth/sleep';
import { EnvironmentRoute, normalizeHost } from '../routes/route-table';
import { ForwardedRequests } from './forwarded-requests';
import { pageFormat, renderPage, unavailablePage, unknownHostPage } from './status-pages';

const CACHE_MS = 1000;
/** Tries at sending a held request to an instance that refuses connections (one stopping as it was chosen). */
const FORWARD_ATTEMPTS = 20;

// Hop-by-hop headers are the connection's, not the request's: not passed on.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** A request body held while its environment wakes; longer ones than the router passes on are refused. */
class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.destroy();
        reject(new BodyTooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The router's own small HTTP server (on a Unix socket) that HAProxy falls back to: 404 for
 * hosts no environment answers to, 503 with the reason when an environment has nothing
 * running. Statuses are cached for a second so a flood of requests to a stopped app stays cheap.
 * A request to a sleeping environment is held instead: the environment is woken (one wake,
 * however many requests wait), and the request, body and all, goes to its first healthy
 * instance, whose answer goes back to the client.
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
    private readonly waker: Waker,
    private readonly forwarded: ForwardedRequests,
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
      // Read while someone wakes it (or it just woke and HAProxy has not caught up): no cached
      // status. Asleep is one query (a burst of first requests each asks), the rest is status().
      const held = this.waker.waking(route.id) || (await this.statuses.asleep(route.id));
      const status = held ? { state: 'sleeping' as const, message: '', hint: '' } : await this.status(route.id);
      // `running` here means HAProxy has not caught up with instances that just became healthy
      // (a wake, a rollout): the request goes straight to one of them rather than to a 503.
      if (status?.state === 'sleeping' || status?.state === 'running') return this.wakeAndForward(route, req, res, status.state === 'sleeping');
      page = !status ? unknownHostPage(host, this.config.router.domain) : unavailablePage(route.appName, route.envName, status);
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

  /** Holds the request (and its body) while the environment wakes, then hands it to an instance. */
  private async wakeAndForward(route: EnvironmentRoute, req: IncomingMessage, res: ServerResponse, asleep: boolean): Promise<void> {
    const body = readBody(req, this.config.router.maxBodyBytes);
    body.catch(() => undefined);
    try {
      for (let attempt = 1; ; attempt++) {
        const target: Route = await this.waker.wake(route.id);
        this.cache.delete(route.id);
        try {
          this.forwarded.note(route.id, req.headers['x-request-id'] as string | undefined, target.name);
          await this.forward(req, await body, target, res);
          return;
        } catch (error) {
          // Refused: nothing reached the app (an instance going down as the router looked), so
          // even a POST may be sent again, to whatever is healthy now.
          if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || res.headersSent || attempt >= FORWARD_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = !asleep
        ? 'Its instances are changing over right now.'
        : error instanceof WakeFailed
          ? error.message
          : error instanceof BodyTooLarge
            ? `It was asleep, and the request's body is larger than the router passes on (${Math.round(this.config.router.maxBodyBytes / 1024)} KB).`
            : `It was asleep and could not be woken: ${(error as Error).message}.`;
      this.logger.warn(`waking ${route.appName}/${route.envName}: ${message}`);
      const page = unavailablePage(route.appName, route.envName, { message, hint: 'Try again in a few seconds; if it keeps failing, check its status and logs.' });
      const format = pageFormat(req.headers.accept);
      const text = renderPage(page, format, req.headers['x-request-id'] as string | undefined);
      res.writeHead(page.status, { 'content-type': format === 'html' ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '5' });
      res.end(req.method === 'HEAD' ? undefined : text);
    }
  }

  /** Sends the held request to the instance and pipes its answer back as it comes. */
  private forward(req: IncomingMessage, body: Buffer, target: Route, res: ServerResponse): Promise<void> {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    if (body.length || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const upstream = httpRequest({ host: target.address, port: target.port, method: req.method, path: req.url, headers, timeout: this.config.router.responseTimeoutSeconds * 1000 }, (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
        answer.pipe(res);
        answer.on('end', () => resolve());
        answer.on('error', reject);
      });
      upstream.on('timeout', () => upstream.destroy(new Error(`the app did not answer within ${this.config.router.responseTimeoutSeconds} s`)));
      upstream.on('error', reject);
      upstream.end(body);
    });
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
