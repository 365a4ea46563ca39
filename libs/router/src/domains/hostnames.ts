/** Custom domain names: what may point at an environment. */
import { environmentLabel } from '@berth/common';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lowercase, without a trailing dot: the form hostnames are stored and routed in. */
export function normalizeHostname(value: string): string {
  return value.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Why `hostname` (normalized) cannot be a custom domain of an environment of `appName`, or
 * null. Names under the Berth domain are Berth's own: `<label>.<domain>` is the address of
 * an app or preview, so only names below this app's own labels are allowed there
 * (`www.shop.<domain>` for app shop), never ones that would shadow another app.
 */
export function hostnameProblem(hostname: string, domain: string, appName: string): string | null {
  if (hostname.length === 0) return 'is required';
  if (hostname.length > 253) return 'must be at most 253 characters';
  if (hostname.includes('*')) return 'may not be a wildcard; add each name you need';
  const labels = hostname.split('.');
  if (labels.length < 2) return 'must be a full domain name such as www.example.com';
  if (!labels.every((label) => LABEL.test(label))) {
    return 'must be a domain name: labels of letters, digits and hyphens (not at either end), separated by dots';
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return 'must be a domain name, not an IP address';
  if (hostname === domain) return `is Berth's own domain; use a name of your own`;
  if (hostname.endsWith(`.${domain}`)) {
    const under = hostname.slice(0, -domain.length - 1).split('.');
    const top = under[under.length - 1];
    if (under.length === 1) return `is a Berth app address (<app>.${domain}); environments already answer at theirs`;
    if (!environmentLabel.belongsTo(top, appName)) {
      return `is under ${top}.${domain}, the address of another app; under ${domain} you may only add names below ${appName}.${domain}`;
    }
  }
  return null;
}
