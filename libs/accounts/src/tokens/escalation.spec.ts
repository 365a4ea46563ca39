import { escalationProblem } from './tokens.service';

const now = new Date('2026-01-01T00:00:00Z');
const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000);
const token = (scopes: string[], expiresAt: Date | null, session = false) => ({ scopes, expiresAt, session });

describe('escalationProblem', () => {
  it('allows a subset of the caller\'s scopes and an expiry at or before its own', () => {
    expect(escalationProblem(token(['read', 'write'], inDays(7)), { scopes: ['read'], expiresAt: inDays(7) }, now)).toBeNull();
  });

  it('refuses a scope the caller lacks', () => {
    const problem = escalationProblem(token(['read', 'write'], null), { scopes: ['write', 'git'], expiresAt: null }, now);
    expect(problem).toMatchObject({ status: 403, code: 'scope_escalation' });
    expect(problem?.message).toContain('asked for git');
  });

  it('refuses a later expiry or none, and says how many days are allowed', () => {
    expect(escalationProblem(token(['read'], inDays(7)), { scopes: ['read'], expiresAt: null }, now)).toMatchObject({ code: 'expiry_escalation' });
    const later = escalationProblem(token(['read'], inDays(7.5)), { scopes: ['read'], expiresAt: inDays(8) }, now);
    expect(later?.message).toContain('expiresInDays to 7 or less');
    expect(escalationProblem(token(['read'], inDays(0.5)), { scopes: ['read'], expiresAt: inDays(1) }, now)?.message).toContain('cannot create tokens');
  });

  it('lets a token without expiry, or a login session, choose any expiry', () => {
    expect(escalationProblem(token(['read'], null), { scopes: ['read'], expiresAt: null }, now)).toBeNull();
    expect(escalationProblem(token(['read', 'write', 'git'], inDays(30), true), { scopes: ['git'], expiresAt: null }, now)).toBeNull();
  });

  it('holds a login session to its scopes too', () => {
    expect(escalationProblem(token(['read'], inDays(30), true), { scopes: ['write'], expiresAt: null }, now)).toMatchObject({ code: 'scope_escalation' });
  });
});
