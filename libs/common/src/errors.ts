/**
 * Errors that reach a person. Each carries an HTTP status, a stable machine-readable code and
 * a message that says what happened and what to do next. The exception filter renders them as
 * `{ statusCode, code, message, fields? }`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Per-field messages for invalid input: `{ name: "must be 3 to 30 characters" }`. */
    readonly fields?: Record<string, string>,
  ) {
    super(message);
  }
}

export const invalidInput = (fields: Record<string, string>, code = 'invalid_input') =>
  new AppError(
    400,
    code,
    Object.entries(fields)
      .map(([field, message]) => `${field}: ${message}`)
      .join('; '),
    fields,
  );
export const badRequest = (code: string, message: string) => new AppError(400, code, message);
export const unauthorized = (code: string, message: string) => new AppError(401, code, message);
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const tooLarge = (code: string, message: string) => new AppError(413, code, message);
/** 429: a rate limit was met; the exception filter sends `Retry-After` with the seconds to wait. */
export class RateLimitedError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'rate_limited', message);
  }
}

export const unavailable = (code: string, message: string) => new AppError(503, code, message);
