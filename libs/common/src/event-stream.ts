import type { Response } from 'express';

/**
 * Starts a server-sent events response (no caching, no proxy buffering, headers sent now) and
 * returns a signal that aborts when the client goes away.
 */
export function openEventStream(res: Response): AbortSignal {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-transform');
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  const closed = new AbortController();
  res.on('close', () => closed.abort());
  return closed.signal;
}
