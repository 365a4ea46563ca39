/** Pure parsers for the CLI's arguments: no I/O, unit-tested in args.spec.ts. */

/** A usage mistake: the CLI prints it with the command's usage and exits 2. */
export class UsageError extends Error {}

const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `KEY=value` pairs (the value may contain `=` or be empty) as an object. */
export function parseConfigPairs(pairs: string[]): Record<string, string> {
  if (!pairs.length) throw new UsageError('Name at least one KEY=value, e.g. berth config:set NODE_ENV=production');
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`"${pair}" is not KEY=value. Write it as KEY=value, e.g. NODE_ENV=production`);
    const key = pair.slice(0, at);
    if (!CONFIG_KEY.test(key)) throw new UsageError(`"${key}" is not a valid config key: use letters, digits and _, not starting with a digit`);
    out[key] = pair.slice(at + 1);
  }
  return out;
}

const PROCESS_TYPE = /^[a-z][a-z0-9_-]*$/i;

function splitProcessPair(pair: string, example: string): [string, string] {
  const at = pair.indexOf('=');
  const type = at > 0 ? pair.slice(0, at) : '';
  if (!PROCESS_TYPE.test(type) || at === pair.length - 1) throw new UsageError(`"${pair}" is not TYPE=VALUE. Write it as e.g. ${example}`);
  return [type, pair.slice(at + 1)];
}

/** `web=2 worker=1` (or `web+1`-free absolute counts only) as {web: 2, worker: 1}. */
export function parseScale(pairs: string[]): Record<string, number> {
  if (!pairs.length) throw new UsageError('Name at least one TYPE=COUNT, e.g. berth ps:scale web=2');
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const [type, value] = splitProcessPair(pair, 'web=2');
    if (!/^\d+$/.test(value)) throw new UsageError(`"${value}" in "${pair}" is not a whole number of instances, e.g. web=2`);
    out[type] = Number(value);
  }
  return out;
}

/** A memory size: `512`, `512MB`, `512M`, `1GB`, `1.5G` → megabytes. */
export function parseMemory(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`"${text}" is not a memory size. Write it in MB or GB, e.g. 512MB or 1GB`);
  const amount = Number(match[1]);
  const unit = (match[2] ?? 'mb').toLowerCase();
  const mb = unit.startsWith('g') ? amount * 1024 : amount;
  if (!Number.isInteger(mb) || mb <= 0) throw new UsageError(`"${text}" is not a whole, positive number of megabytes`);
  return mb;
}

/** `web=512MB worker=1GB` as {web: 512, worker: 1024} (MB). */
export function parseResize(pairs: string[]): Record<string, number> {
  if (!pairs.length) throw new UsageError('Name at least one TYPE=SIZE, e.g. berth ps:resize web=512MB');
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const [type, value] = splitProcessPair(pair, 'web=512MB');
    out[type] = parseMemory(value);
  }
  return out;
}

/** `v3`, `3` → 3. */
export function parseVersion(text: string): number {
  const match = /^v?(\d+)$/i.exec(text.trim());
  if (!match || Number(match[1]) < 1) throw new UsageError(`"${text}" is not a release version. Write it as v3 or 3 (see berth releases)`);
  return Number(match[1]);
}

/**
 * The app a git remote URL points at on Berth: `http://host:3000/git/hello.git` → hello
 * (user info, a trailing slash or a missing `.git` are allowed). Null when it is no Berth URL.
 */
export function appFromGitUrl(url: string): string | null {
  let path: string;
  try {
    path = new URL(url.trim()).pathname;
  } catch {
    return null;
  }
  const match = /\/git\/([a-z][a-z0-9-]*?)(?:\.git)?\/?$/.exec(path);
  return match ? match[1] : null;
}

/** The origin of a Berth URL (`http://host:3000`), without a path or credentials. */
export function apiOrigin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    throw new UsageError(`"${url}" is not a URL. Give Berth's address, e.g. --api http://berth.example.com:3000`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`"${url}" is not an http or https URL`);
  return parsed.origin;
}

/** The fields of one request in git's credential helper protocol (`key=value` lines). */
export function parseCredentialRequest(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1).replace(/\r$/, '');
  }
  return out;
}

/** Whether a credential request from git is for the Berth at `origin` (same protocol, host and port). */
export function credentialIsFor(request: Record<string, string>, origin: string): boolean {
  if (!request.protocol || !request.host) return false;
  try {
    return new URL(`${request.protocol}://${request.host}`).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}
