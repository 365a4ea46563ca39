// The one typed client of Berth's HTTP API used by the dashboard. Every request goes through
// here, so when a field or route changes only this file changes.
import { session } from './session';
import { parseEventStream, type ServerSentEvent } from './sse';

// ---------------------------------------------------------------- errors

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  fields?: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string>;

  constructor(body: ErrorBody) {
    super(body.message);
    this.status = body.statusCode;
    this.code = body.code;
    this.fields = body.fields ?? {};
  }

  /**
   * The server has no such route at all (as opposed to no such app or build): the feature
   * belongs to a part of Berth this server does not run yet.
   */
  get routeMissing(): boolean {
    return this.status === 404 && this.code === 'not_found' && /^Cannot (GET|POST|PUT|PATCH|DELETE) /.test(this.message);
  }
}

/** A network failure, shown the same way as an API error. */
const unreachable = () =>
  new ApiError({ statusCode: 0, code: 'network_error', message: 'Could not reach the Berth server. Check your connection and that Berth is running, then try again.' });

// ---------------------------------------------------------------- shapes

export type Role = 'owner' | 'admin' | 'member' | 'viewer';
export const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer'];
const ROLE_RANK: Record<Role, number> = { owner: 4, admin: 3, member: 2, viewer: 1 };
export const hasRole = (actual: Role | undefined, needed: Role) => !!actual && ROLE_RANK[actual] >= ROLE_RANK[needed];

export type Scope = 'read' | 'write' | 'git';
export const SCOPES: Scope[] = ['read', 'write', 'git'];

export interface Me {
  id: string;
  email: string;
  createdAt: string;
  memberships: { role: Role; team: { id: string; name: string; personal: boolean } }[];
}

export interface Token {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}
export interface NewToken extends Omit<Token, 'lastUsedAt'> {
  /** The secret; the API shows it once. */
  token: string;
}

export interface Team {
  id: string;
  name: string;
  personal: boolean;
  role: Role;
  createdAt: string;
}
export interface Member {
  userId: string;
  email: string;
  role: Role;
  since: string;
}
export interface TeamDetail extends Omit<Team, 'createdAt'> {
  members: Member[];
}

export interface App {
  id: string;
  name: string;
  team: { id: string; name: string };
  productionBranch: string;
  gitUrl: string;
  url: string;
  createdAt: string;
}
export interface AppDetail extends App {
  role: Role;
  environments: { name: string; kind: EnvironmentKind; branch: string; url: string }[];
}

export type EnvironmentKind = 'production' | 'preview';
export interface EnvironmentStatus {
  state: string;
  reason?: string | null;
}
export interface Environment {
  id: string;
  name: string;
  kind: EnvironmentKind;
  branch: string;
  url: string;
  createdAt: string;
  expiresAt: string | null;
  /** Arrives with the router (issue 5): a word, or a word with the reason. */
  status?: string | EnvironmentStatus | null;
  statusReason?: string | null;
}

/** An environment's status as `{state, reason}`, whichever shape the server sends; null when it sends none. */
export function environmentStatus(env: Environment): EnvironmentStatus | null {
  if (!env.status) return null;
  if (typeof env.status === 'string') return { state: env.status, reason: env.statusReason ?? null };
  return env.status;
}

export type ConfigVars = Record<string, string>;
export type ConfigPatch = Record<string, string | null>;

export type BuildStatus = 'queued' | 'building' | 'succeeded' | 'failed';
export interface Build {
  id: string;
  environment: string;
  branch: string;
  commitSha: string;
  status: BuildStatus;
  buildpack: string | null;
  failureReason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  image?: { digest: string; tag?: string; sizeBytes?: number | string } | null;
}
export interface BuildWithLog extends Build {
  log: string;
}
export const buildIsActive = (build: Pick<Build, 'status'>) => build.status === 'queued' || build.status === 'building';

export interface Release {
  version: number;
  status: string;
  description: string | null;
  image: { digest: string; commitSha: string } | null;
  createdAt: string;
  current: boolean;
}

export interface ProcessFormation {
  quantity: number;
  memoryMb: number;
  cpu: number;
  pidsLimit?: number;
}
export type Formation = Record<string, ProcessFormation>;
export type FormationPatch = Record<string, Partial<ProcessFormation>>;

export interface Instance {
  id: string;
  processType: string;
  index: number;
  host: string | null;
  actualState: string;
  healthy: boolean | null;
  reason: string | null;
  restartCount: number;
  memoryUsageBytes: number | null;
  memoryLimitBytes: number | null;
  cpuPercent: number | null;
  startedAt: string | null;
}

// ---------------------------------------------------------------- transport

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = session.token();
  return { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy in between, or the server is down
  }
  return new ApiError({
    statusCode: response.status,
    code: body.code ?? 'http_error',
    message: body.message ?? `The server answered ${response.status} ${response.statusText}. Try again in a moment.`,
    fields: body.fields,
  });
}

async function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw unreachable();
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    // A session token that expired or was revoked: back to the login page.
    if (error.status === 401 && session.token()) session.expire();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal);
const seg = encodeURIComponent;
const envPath = (app: string, env: string) => `/api/apps/${seg(app)}/environments/${seg(env)}`;

/**
 * Follows a server-sent event stream with fetch, because EventSource cannot send the
 * Authorization header. Resolves when the server ends the stream; rejects with ApiError.
 */
async function streamEvents(path: string, onEvent: (event: ServerSentEvent) => void, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw unreachable();
  }
  if (!response.ok || !response.body) throw await errorFrom(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parse = parseEventStream(onEvent);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parse(value);
  }
  parse.flush();
}

// ---------------------------------------------------------------- endpoints

export const api = {
  signup: (email: string, password: string) =>
    request<{ token: string; user: { id: string; email: string }; team: { id: string; name: string } }>('POST', '/api/auth/signup', { email, password }),
  login: (email: string, password: string) => request<{ token: string; expiresAt: string | null }>('POST', '/api/auth/login', { email, password }),
  me: (signal?: AbortSignal) => get<Me>('/api/auth/me', signal),

  tokens: (signal?: AbortSignal) => get<Token[]>('/api/tokens', signal),
  createToken: (input: { name: string; scopes: Scope[]; expiresInDays?: number }) => request<NewToken>('POST', '/api/tokens', input),
  revokeToken: (id: string) => request<void>('DELETE', `/api/tokens/${seg(id)}`),

  teams: (signal?: AbortSignal) => get<Team[]>('/api/teams', signal),
  createTeam: (name: string) => request<Team>('POST', '/api/teams', { name }),
  team: (team: string, signal?: AbortSignal) => get<TeamDetail>(`/api/teams/${seg(team)}`, signal),
  addMember: (team: string, email: string, role: Role) => request<Member>('POST', `/api/teams/${seg(team)}/members`, { email, role }),
  changeRole: (team: string, member: string, role: Role) => request<Member>('PATCH', `/api/teams/${seg(team)}/members/${seg(member)}`, { role }),
  removeMember: (team: string, member: string) => request<void>('DELETE', `/api/teams/${seg(team)}/members/${seg(member)}`),

  apps: (signal?: AbortSignal) => get<App[]>('/api/apps', signal),
  app: (app: string, signal?: AbortSignal) => get<AppDetail>(`/api/apps/${seg(app)}`, signal),
  createApp: (input: { name: string; team?: string; productionBranch?: string }) => request<App>('POST', '/api/apps', input),
  deleteApp: (app: string) => request<void>('DELETE', `/api/apps/${seg(app)}`),

  environments: (app: string, signal?: AbortSignal) => get<Environment[]>(`/api/apps/${seg(app)}/environments`, signal),
  deleteEnvironment: (app: string, env: string) => request<void>('DELETE', envPath(app, env)),

  config: (app: string, env: string, signal?: AbortSignal) => get<ConfigVars>(`${envPath(app, env)}/config`, signal),
  patchConfig: (app: string, env: string, patch: ConfigPatch) => request<ConfigVars>('PATCH', `${envPath(app, env)}/config`, patch),

  builds: (app: string, signal?: AbortSignal) => get<Build[]>(`/api/apps/${seg(app)}/builds`, signal),
  build: (app: string, id: string, signal?: AbortSignal) => get<BuildWithLog>(`/api/apps/${seg(app)}/builds/${seg(id)}`, signal),
  /** The build's log as it is written: `onLine` per line, then resolves when the build ends. */
  followBuildLog: (app: string, id: string, onLine: (line: string) => void, onEnd: (status: string | null) => void, signal: AbortSignal) =>
    streamEvents(`/api/apps/${seg(app)}/builds/${seg(id)}/log`, (event) => {
      if (event.event === 'end') onEnd(statusOf(event.data));
      else for (const line of linesOf(event.data)) onLine(line);
    }, signal),

  releases: (app: string, env: string, signal?: AbortSignal) => get<Release[]>(`${envPath(app, env)}/releases`, signal),
  rollback: (app: string, env: string, version: number) => request<Release>('POST', `${envPath(app, env)}/releases/${version}/rollback`),

  formation: (app: string, env: string, signal?: AbortSignal) => get<Formation>(`${envPath(app, env)}/formation`, signal),
  patchFormation: (app: string, env: string, patch: FormationPatch) => request<Formation>('PATCH', `${envPath(app, env)}/formation`, patch),

  instances: (app: string, env: string, signal?: AbortSignal) => get<Instance[]>(`${envPath(app, env)}/instances`, signal),
};

/** A log event's data is a line of text, or JSON carrying it as `line`/`text`/`message`. */
export function linesOf(data: string): string[] {
  if (data.startsWith('{')) {
    try {
      const parsed = JSON.parse(data) as Record<string, unknown>;
      const text = parsed.line ?? parsed.text ?? parsed.message;
      if (typeof text === 'string') return text.replace(/\n$/, '').split('\n');
    } catch {
      // a log line that happens to start with a brace
    }
  }
  return data.split('\n');
}

/** An end event's data is the status, bare or as JSON `{"status": …}`. */
export function statusOf(data: string): string | null {
  const trimmed = data.trim();
  if (!trimmed) return null;
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    if (typeof parsed === 'string') return parsed;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { status?: unknown }).status === 'string') return (parsed as { status: string }).status;
  } catch {
    // a bare word
  }
  return trimmed;
}
