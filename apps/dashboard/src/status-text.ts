// How the dashboard words statuses it gets from the API: the API's own text, made for people.
import type { Build } from './api';

/**
 * The API's words for a person in the dashboard: the API calls in a hint ("(PATCH /api/…)",
 * ": PATCH /api/… {…}") are for API users; the link beside the hint does the same here.
 */
export function withoutApiCalls(hint: string): string {
  return hint
    .replace(/\s*\((?:GET|PATCH|POST|DELETE|PUT) (?:\/api\/|…)[^)]*\)/g, '')
    .replace(/:? (?:GET|PATCH|POST|DELETE|PUT) (?:\/api\/|…)[^\s)]*[^\s).,]( \{[^}]*\}\}?)?/g, '')
    .replace(/;\s*follow the build with\s*\./, '.')
    .replace(/\s+\./g, '.');
}

/** What became of a build, as one word: its own status, or its release's when the build succeeded and the release did not. */
export function buildOutcome(build: Build): { status: string; reason: string | null } {
  if (build.status === 'succeeded' && build.release?.status === 'failed') return { status: 'release_failed', reason: `Build succeeded; release v${build.release.version} failed: ${build.release.failureReason ?? 'see its release'}` };
  return { status: build.status, reason: build.failureReason };
}
