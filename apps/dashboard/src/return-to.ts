// Pages that send the user on an errand (make a token) and back: `?return=/apps/shop/settings`.

/**
 * Where to go back to once the token is copied (`?return=/apps/shop`, from an app's push
 * instructions): a page of ours only, and named for the link.
 */
export function returnTarget(value: string | null): { to: string; label: string } | null {
  // A backslash counts as a slash in URLs: "/\evil.example" is another site.
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.includes('\\') || value.startsWith('/tokens')) return null;
  const app = /^\/apps\/([^/?#]+)/.exec(value);
  if (app && app[1] !== 'new') return { to: value, label: `Back to ${safeDecode(app[1])}` };
  return { to: value, label: 'Back' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
