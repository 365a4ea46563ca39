import { toErrorBody } from './exception.filter';

/** What Prisma throws when a transaction loses a race (the class is matched by its code, not imported). */
class FakeKnownRequestError extends Error {
  constructor(readonly code: string, readonly meta?: Record<string, unknown>) {
    super('Transaction failed due to a write conflict or a deadlock. Please retry your transaction');
  }
}

describe('toErrorBody', () => {
  it.each([
    ['Prisma P2034', new FakeKnownRequestError('P2034')],
    ['a serialization failure from raw SQL', new FakeKnownRequestError('P2010', { code: '40001' })],
    ['a deadlock wrapped in a cause', Object.assign(new Error('outer'), { cause: { code: '40P01' } })],
  ])('answers 409 conflict for %s', (_name, error) => {
    expect(toErrorBody(error)).toEqual({ statusCode: 409, code: 'conflict', message: 'Someone else changed this at the same time; try again.' });
  });

  it('keeps other database errors a 500 that says nothing of the cause', () => {
    expect(toErrorBody(new FakeKnownRequestError('P2002'))).toMatchObject({ statusCode: 500, code: 'internal_error' });
  });

  it.each([
    ["Prisma P1001 (can't reach the server)", new FakeKnownRequestError('P1001')],
    ['a connection reset wrapped in a cause', Object.assign(new Error('outer'), { cause: { code: 'ECONNRESET' } })],
    ['PostgreSQL shutting down', new Error('terminating connection due to administrator command')],
  ])('answers 503 database_unavailable for %s, in Berth\'s words', (_name, error) => {
    const body = toErrorBody(error);
    expect(body).toMatchObject({ statusCode: 503, code: 'database_unavailable' });
    expect(body.message).not.toMatch(/P1001|ECONNRESET|administrator/);
  });
});
