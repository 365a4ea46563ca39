import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, RateLimitedError } from './errors';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  fields?: Record<string, string>;
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/**
 * Prisma's codes for a transaction that lost a race with another one (a serialization failure,
 * a deadlock, a write conflict) and PostgreSQL's own (when raw SQL raised them). Nothing is
 * wrong with the request: the same request again will most likely succeed.
 */
const WRITE_CONFLICT_CODES = new Set(['P2034', '40001', '40P01']);

export function isWriteConflict(error: unknown): boolean {
  for (let cause = error as { code?: unknown; meta?: { code?: unknown }; cause?: unknown } | undefined, depth = 0; cause && depth < 5; cause = cause.cause as typeof cause, depth++) {
    if (WRITE_CONFLICT_CODES.has(String(cause.code)) || WRITE_CONFLICT_CODES.has(String(cause.meta?.code))) return true;
  }
  return false;
}

/**
 * Prisma's codes for a database it cannot reach or that went away mid-query (P1001 can't reach,
 * P1002 timed out, P1008 operation timed out, P1017 server closed the connection, P2024 no
 * connection from the pool in time), and what PostgreSQL or the driver say while it restarts.
 */
const DATABASE_UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', '57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET']);
const DATABASE_UNAVAILABLE_TEXT = /Can't reach database server|Connection terminated|terminating connection due to administrator command|the database system is (starting up|shutting down)/;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; cause && depth < 5; cause = cause.cause as typeof cause, depth++) {
    if (DATABASE_UNAVAILABLE_CODES.has(String(cause.code)) || cause.name === 'PrismaClientInitializationError') return true;
    if (typeof cause.message === 'string' && DATABASE_UNAVAILABLE_TEXT.test(cause.message)) return true;
  }
  return false;
}

/** How long a client should wait before trying again while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Turns anything thrown while handling a request into the one error shape of the API. */
export function toErrorBody(error: unknown): ErrorBody {
  if (isDatabaseUnavailable(error)) {
    return {
      statusCode: 503,
      code: 'database_unavailable',
      message: "Berth's database is not answering right now (it may be restarting); apps keep serving. Nothing was changed: try again in a few seconds.",
    };
  }
  if (isWriteConflict(error)) {
    return { statusCode: 409, code: 'conflict', message: 'Someone else changed this at the same time; try again.' };
  }
  if (error instanceof AppError) {
    return { statusCode: error.status, code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}) };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? error.message);
    return { statusCode: status, code: STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'error'), message };
  }
  // body-parser errors carry a status and a type.
  const parserError = error as { status?: number; type?: string; message?: string; limit?: number };
  if (parserError?.type === 'entity.parse.failed') {
    return { statusCode: 400, code: 'invalid_json', message: 'The request body is not valid JSON. Check for trailing commas and unquoted keys.' };
  }
  if (parserError?.type === 'entity.too.large') {
    return { statusCode: 413, code: 'payload_too_large', message: `The request body is larger than the ${Math.round((parserError.limit ?? 0) / 1024)} KB limit.` };
  }
  if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
    return { statusCode: 415, code: 'unsupported_media_type', message: 'Send the request body as UTF-8 JSON.' };
  }
  if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return { statusCode: parserError.status, code: STATUS_CODES[parserError.status] ?? 'bad_request', message: parserError.message ?? 'Bad request.' };
  }
  return { statusCode: 500, code: 'internal_error', message: 'Something went wrong on our side. Try again; if it keeps happening, check the server log.' };
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(error);
    if (body.code === 'database_unavailable') this.logger.warn(`database unavailable: ${error instanceof Error ? error.message.trim().split('\n').at(-1) : String(error)}`);
    else if (body.statusCode >= 500) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    if (response.headersSent) {
      response.end();
      return;
    }
    if (body.statusCode === 401 && !response.getHeader('WWW-Authenticate')) response.setHeader('WWW-Authenticate', 'Bearer realm="berth"');
    if (error instanceof RateLimitedError) response.setHeader('Retry-After', String(error.retryAfterSeconds));
    if (body.code === 'database_unavailable') response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    response.status(body.statusCode).json(body);
  }
}
