/** What a token may do: read the API, change things through it, push with git. */
export const SCOPES = ['read', 'write', 'git'] as const;
export type Scope = (typeof SCOPES)[number];
export const ALL_SCOPES: Scope[] = [...SCOPES];
