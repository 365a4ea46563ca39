import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardDirectory } from './dashboard-files';

/** Paths the dashboard never answers: the API, git, health and Prometheus' /metrics keep their own 404s. */
const NOT_OURS = /^\/(api|git|healthz|metrics)(\/|$)/;
/** Requests for a file (with an extension) get a real 404, never index.html. */
const LOOKS_LIKE_FILE = /\/[^/]+\.[a-z0-9]+$/i;

// The dashboard loads nothing from elsewhere and runs no inline script.
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Berth</title>
<p>The Berth dashboard has not been built. Run <code>npm run build</code> (or <code>npm run build:dashboard</code>) and reload.
The API is at <a href="/api/docs">/api/docs</a>.</p>`;

/**
 * Serves the single-page dashboard: its hashed assets with long caching, and index.html
 * (never cached) for every other page path so client-side routes survive a reload.
 */
@Injectable()
export class DashboardMiddleware implements NestMiddleware {
  private readonly logger = new Logger('Dashboard');
  private readonly root = dashboardDirectory();
  private readonly index = join(this.root, 'index.html');
  private readonly files: RequestHandler = express.static(this.root, {
    index: false,
    fallthrough: true,
    redirect: false,
    setHeaders: (res, path) => {
      res.setHeader('Cache-Control', path.includes(`${join(this.root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    },
  });
  private warned = false;

  use(req: Request, res: Response, next: NextFunction): void {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_OURS.test(req.path)) return next();
    this.files(req, res, () => this.page(req, res, next));
  }

  /** Any other path is a page of the app: answer with index.html and let the client route it. */
  private page(req: Request, res: Response, next: NextFunction): void {
    if (LOOKS_LIKE_FILE.test(req.path)) return next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-cache');
    if (!existsSync(this.index)) {
      if (!this.warned) this.logger.warn(`No dashboard at ${this.root}; run npm run build:dashboard`);
      this.warned = true;
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.sendFile(this.index, (error) => error && next(error));
  }
}
