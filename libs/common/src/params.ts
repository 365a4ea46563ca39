import { ParseUUIDPipe } from '@nestjs/common';
import { notFound } from './errors';

/** A path id that is not a UUID names nothing: answer 404 like any other unknown id. */
export const uuidOr404 = (code: string, message: string) => new ParseUUIDPipe({ exceptionFactory: () => notFound(code, message) });
