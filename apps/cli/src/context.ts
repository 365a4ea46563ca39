import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { apiOrigin, appFromGitUrl, UsageError } from './args';
import { BerthClient, InstanceView, ReleaseView } from './client';
import { readCredentials } from './credentials';
import { CliError, note } from './output';

export const DEFAULT_API = 'http://localhost:3000';

/** Options every command has (`--api`) and app commands add (`-a`, `-e`, `--json`). */
export interface CommonOptions {
  api?: string;
  app?: string;
  env?: string;
  json?: boolean;
  confirm?: string;
  wait?: boolean;
}

export function optionsOf(command: Command): CommonOptions {
  return command.optsWithGlobals() as CommonOptions;
}

/** The Berth to talk to: --api, then BERTH_API_URL, then the one logged in to, then localhost. */
export function apiUrl(options: CommonOptions): string {
  return apiOrigin(options.api ?? process.env.BERTH_API_URL ?? readCredentials()?.api ?? DEFAULT_API);
}

/** A client with the stored token (or BERTH_TOKEN); `berth login` first when there is none. */
export function client(options: CommonOptions, needsLogin = true): BerthClient {
  const api = apiUrl(options);
  const stored = readCredentials();
  const token = process.env.BERTH_TOKEN || (stored && apiOrigin(stored.api) === api ? stored.token : null);
  if (!token && needsLogin) {
    throw new CliError(stored ? `You are logged in to ${stored.api}, not ${api}. Log in there with: berth login --api ${api}` : `You are not logged in to ${api}. Log in with: berth login`);
  }
  return new BerthClient(api, token);
}

/** git's answer, or null when git fails (no repository, no such remote, no git). */
export function git(args: string[], cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** -a, else the app of the `berth` git remote of the current directory, as Heroku does. */
export function appName(options: CommonOptions): string {
  if (options.app) return options.app;
  const remote = git(['remote', 'get-url', 'berth']);
  const app = remote ? appFromGitUrl(remote) : null;
  if (!app) {
    throw new UsageError('No app given. Pass -a <app>, or run this inside a git repository with a "berth" remote (berth git:remote -a <app> adds one).');
  }
  return app;
}

export function envName(options: CommonOptions): string {
  return options.env ?? 'production';
}

/** `/api/apps/<app>/environments/<env>` for the chosen app and environment. */
export function envPath(options: CommonOptions): string {
  return `/api/apps/${encodeURIComponent(appName(options))}/environments/${encodeURIComponent(envName(options))}`;
}

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY);
}

export async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

/** Reads a secret from the terminal without echoing it. */
export async function promptSecret(question: string): Promise<string> {
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode?.(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          done();
          resolve(value);
          return;
        }
        if (char === '\u0003') {
          done();
          reject(new CliError('Cancelled.', 1));
          return;
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

/** All of stdin (for --password-stdin and piped input). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A destructive verb goes ahead only when `--confirm <name>` names what it destroys, or a
 * person at a terminal types the name; without a terminal a missing --confirm is a usage error.
 */
export async function confirm(name: string, given: string | undefined, what: string): Promise<void> {
  if (given !== undefined) {
    if (given !== name) throw new CliError(`--confirm ${given} does not match ${name}. Nothing was changed.`);
    return;
  }
  if (!interactive()) throw new UsageError(`This ${what} cannot be undone. To go ahead without a terminal, pass --confirm ${name}`);
  const answer = await prompt(`This ${what} cannot be undone. Type ${name} to confirm: `);
  if (answer.trim() !== name) throw new CliError(`"${answer.trim()}" does not match ${name}. Nothing was changed.`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The newest release's version, or 0 when there is none. */
export async function newestVersion(api: BerthClient, path: string): Promise<number> {
  const releases = await api.get<ReleaseView[]>(`${path}/releases`);
  return releases[0]?.version ?? 0;
}

/**
 * Waits for a rollout as `git push` does: until `version` is current (or failed), printing how
 * many of its web instances are healthy. Throws CliError when the release failed.
 */
export async function waitForRelease(api: BerthClient, path: string, version: number, timeoutMs = 10 * 60_000): Promise<ReleaseView> {
  const deadline = Date.now() + timeoutMs;
  let said = '';
  const say = (text: string) => {
    if (text !== said) note(text);
    said = text;
  };
  say(`Releasing v${version}…`);
  for (;;) {
    const releases = await api.get<ReleaseView[]>(`${path}/releases`);
    const release = releases.find((r) => r.version === version);
    if (!release) throw new CliError(`Release v${version} is gone. See berth releases.`);
    if (release.status === 'failed') throw new CliError(`v${version} failed: ${release.failureReason ?? 'no reason given'}. The previous release keeps serving; see berth ps and berth releases:info v${version}.`);
    if (release.current || release.status === 'superseded') {
      const web = release.formation?.web?.quantity ?? 0;
      note(`Deployed v${version}${web ? `: ${web} web instance${web === 1 ? '' : 's'} healthy` : ''}`);
      return release;
    }
    const instances = await api.get<InstanceView[]>(`${path}/instances`);
    const web = instances.filter((i) => i.release === version && i.processType === 'web');
    if (web.length) say(`${web.filter((i) => i.healthy).length} of ${release.formation?.web?.quantity ?? web.length} web instances healthy…`);
    if (Date.now() > deadline) throw new CliError(`v${version} is still rolling out after ${Math.round(timeoutMs / 1000)} s. Follow it with berth ps and berth releases.`);
    await sleep(1000);
  }
}
