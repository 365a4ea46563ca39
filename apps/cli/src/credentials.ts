import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `berth login` keeps: the Berth it logged in to, the token and who it belongs to. */
export interface Credentials {
  api: string;
  token: string;
  email: string | null;
  /** The token was made by berth login/signup (not given with --token): logout revokes it. */
  session?: boolean;
}

/** `$XDG_CONFIG_HOME/berth/credentials.json`, or ~/.config/berth/credentials.json. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'berth', 'credentials.json');
}

export function readCredentials(path = credentialsPath()): Credentials | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Credentials>;
    return typeof parsed.api === 'string' && typeof parsed.token === 'string' ? { api: parsed.api, token: parsed.token, email: parsed.email ?? null, session: parsed.session === true } : null;
  } catch {
    return null;
  }
}

/** Written readable by the user only (0600, its folder 0700), as Heroku keeps its netrc. */
export function writeCredentials(credentials: Credentials, path = credentialsPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function removeCredentials(path = credentialsPath()): boolean {
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}
