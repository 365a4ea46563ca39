// The one typed client of Berth's HTTP API used by the dashboard. Every request goes through
// here, so when a field or route changes only this file changes.
import { session } from './session';
import { parseEventStream, type ServerSentEvent } from './sse';
// Types only (erased from the bundle): the API's own, shared rather than copied.
import type { EnvironmentStatus } from '../../../libs/tenant-apps/src/environments/environment-status.types';
import type { MetricsAnswer as Metrics, MetricsPeriod } from '../../../libs/metrics/src/metrics.types';

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
}

// The API's messages end with what to do next for API users ("List your apps with GET
// /api/apps."). The dashboard says it in its own words: by error code where it knows one,
// otherwise without the sentences that name API requests.
const FOR_PEOPLE: Record<string, string> = {
  app_not_found: 'This app was deleted, or you no longer have access to it.',
  environment_not_found: 'This environment does not exist any more: its branch was deleted, or its time to live ran out.',
  build_not_found: 'This app has no such build. Its builds are listed under Builds.',
  release_not_found: 'This environment has no such release. Its releases are listed under Releases.',
  domain_not_found: 'This domain is no longer attached to the environment. Reload the page to see its domains.',
  team_not_found: 'This team was deleted, or you are no longer one of its members.',
  token_not_found: 'This token was already revoked.',
  host_not_found: 'This host is no longer registered. Reload the page to see the hosts.',
  cannot_delete_production: 'Production goes only with its app: delete the app in its Settings.',
  insufficient_scope: 'This session cannot do that. Log out and in again.',
};
const API_REQUEST = /\b(GET|POST|PUT|PATCH|DELETE) \/(api|git)\b/;

/** An API error's message as the dashboard shows it. */
export function messageForPeople(code: string, message: string): string {
  if (FOR_PEOPLE[code]) return FOR_PEOPLE[code];
  if (!API_REQUEST.test(message)) return message;
  const kept = message
    // "… (POST /api/auth/login) …": the aside goes.
    .replace(/\s*\((GET|POST|PUT|PATCH|DELETE) \/[^)]*\)/g, '')
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => !API_REQUEST.test(sentence))
    .join(' ');
  return kept.trim() || message;
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
  /** Operators manage the hosts (BERTH_OPERATOR_EMAILS). */
  operator: boolean;
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
/** An app in a page of the apps list: with its production status and how many previews it has. */
export interface AppSummary extends App {
  previews: number;
  status: EnvironmentStatus | null;
}
export interface AppsPage {
  apps: AppSummary[];
  /** The `cursor` of the next page; null on the last. */
  nextCursor: string | null;
}
export interface AppDetail extends App {
  role: Role;
  environments: { name: string; kind: EnvironmentKind; branch: string; url: string }[];
}

export type EnvironmentKind = 'production' | 'preview';
export interface Environment {
  id: string;
  name: string;
  kind: EnvironmentKind;
  branch: string;
  url: string;
  createdAt: string;
  /** When a preview is removed automatically; null keeps it. */
  expiresAt: string | null;
}

// Whether an environment serves traffic; if not, why (`message`) and what to do (`hint`): the
// API's own types.
export type { EnvironmentState, EnvironmentStatus } from '../../../libs/tenant-apps/src/environments/environment-status.types';
export interface EnvironmentDetail extends Environment {
  status: EnvironmentStatus | null;
}

export interface Domain {
  hostname: string;
  url: string;
  createdAt: string;
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
  image: { id: string; tag: string; digest: string; sizeBytes: number; processTypes: Record<string, string | null> } | null;
  /** The release this build made, if any. */
  release?: { version: number; status: ReleaseStatus; failureReason: string | null } | null;
}
export interface BuildWithLog extends Build {
  log: string;
}
export const buildIsActive = (build: Pick<Build, 'status'>) => build.status === 'queued' || build.status === 'building';
/** How the log stream ends: the build's final status. */
export interface BuildEnd {
  status: BuildStatus;
  failureReason: string | null;
}

export type ReleaseStatus = 'pending' | 'deploying' | 'active' | 'superseded' | 'failed';
export interface Release {
  version: number;
  status: ReleaseStatus;
  /** The release that serves traffic. */
  current: boolean;
  /** It served once: what a rollback can go back to. */
  served: boolean;
  description: string;
  failureReason: string | null;
  image: { id: string; digest: string; commitSha: string } | null;
  formation?: Formation;
  createdAt: string;
  /** Email of whoever made it; null for the platform. */
  createdBy: string | null;
}
export const releaseIsActive = (release: Pick<Release, 'status'>) => release.status === 'pending' || release.status === 'deploying';

export interface ProcessFormation {
  quantity: number;
  memoryMb: number;
  cpu: number;
  pidsLimit: number;
  /** Each instance's own disk, in MB. */
  diskMb: number;
  /** What each instance books on its host (requests); memoryMb and cpu above are its limits. */
  memoryRequestMb?: number;
  cpuRequest?: number;
  /** The process's command; null runs the image's own. */
  command?: string | null;
}
export type Formation = Record<string, ProcessFormation>;
export type FormationField = 'quantity' | 'memoryMb' | 'cpu' | 'pidsLimit' | 'diskMb';
export type FormationPatch = Record<string, Partial<Record<FormationField, number>>>;

export type InstanceState = 'pending' | 'starting' | 'running' | 'crashed' | 'stopped' | 'failed';
export interface Instance {
  id: string;
  /** `web.1` */
  name: string;
  processType: string;
  index: number;
  /** The version of the release it runs. */
  release: number;
  host: string | null;
  desiredState: 'running' | 'stopped';
  actualState: InstanceState;
  healthy: boolean;
  reason: string | null;
  restartCount: number;
  memory: { usageBytes: number | null; limitBytes: number };
  cpu: { limit: number; percent: number | null };
  pidsLimit: number;
  startedAt: string | null;
}

export type HostState = 'ready' | 'draining' | 'unreachable' | 'down';
export interface Host {
  id: string;
  name: string;
  address: string;
  state: HostState;
  cordoned: boolean;
  capacity: { memoryMb: number; cpu: number; pidsLimit: number };
  /** What placement books up to: capacity × the operator's overcommit ratios. */
  allocatable: { memoryMb: number; cpu: number; pidsLimit: number };
  booked: { memoryMb: number; cpu: number; pidsLimit: number };
  memoryUsageBytes: number;
  instances: number;
  lastHeartbeatAt: string;
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
  const code = body.code ?? 'http_error';
  return new ApiError({
    statusCode: response.status,
    code,
    message: body.message ? messageForPeople(code, body.message) : `The server answered ${response.status} ${response.statusText}. Try again in a moment.`,
    fields: body.fields,
  });
}

/** Dispatched on `window` whenever the API answers that an app does not exist (detail: the request path). */
export const APP_GONE_EVENT = 'berth:app-gone';

/** A GET that fails to connect is tried once more after this long, before it counts as unreachable. */
const GET_RETRY_MS = 500;

async function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response | undefined;
  // Browsers abort requests in flight when the machine's network changes (e.g. a container
  // starting on a laptop that runs Berth); asking again is safe for a GET.
  for (let attempt = 0; !response; attempt++) {
    try {
      response = await fetch(path, {
        method,
        headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      if (method !== 'GET' || attempt > 0) throw unreachable();
      await new Promise((resolve) => setTimeout(resolve, GET_RETRY_MS));
      if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
    }
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    // A session token that expired or was revoked: back to the login page.
    if (error.status === 401 && session.token()) session.expire();
    // An app deleted (here or elsewhere) while one of its pages is open: its frame checks again.
    if (error.code === 'app_not_found') window.dispatchEvent(new CustomEvent(APP_GONE_EVENT, { detail: path }));
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal);
const seg = encodeURIComponent;
const envPath = (app: string, env: string) => `/api/apps/${seg(app)}/environments/${seg(env)}`;

/**
 * Reads a server-sent event stream with fetch, because EventSource cannot send the
 * Authorization header. Resolves when the server closes the stream; rejects with ApiError.
 */
async function readEvents(path: string, lastEventId: string | undefined, onEvent: (event: ServerSentEvent) => void, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(path, { headers: headers({ accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }), signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw unreachable();
  }
  if (!response.ok || !response.body) throw await errorFrom(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parse = parseEventStream(onEvent);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parse(value);
    }
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    // The connection broke mid-stream: the caller resumes from the last event id.
  }
  parse.flush();
}

const RECONNECT_MS = 1000;
const MAX_RECONNECTS = 30;

export interface BuildLogHandlers {
  line: (text: string) => void;
  /** The stream starts over from the first line (it broke before any line had an id). */
  restart: () => void;
}

/**
 * Follows a build's log until the build ends, resuming after the last line seen
 * (Last-Event-ID) when the connection breaks. Resolves with the build's final status.
 */
async function followBuildLog(app: string, id: string, on: BuildLogHandlers, signal: AbortSignal): Promise<BuildEnd> {
  const path = `/api/apps/${seg(app)}/builds/${seg(id)}/log`;
  let lastEventId: string | undefined;
  let end: BuildEnd | undefined;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0 && !lastEventId) on.restart();
    await readEvents(
      path,
      lastEventId,
      (event) => {
        if (event.event === 'end') end = parseEnd(event.data);
        else on.line(event.data);
        if (event.id) lastEventId = event.id;
      },
      signal,
    );
    if (end) return end;
    if (attempt >= MAX_RECONNECTS) throw unreachable();
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  }
}

/** The end event's data: `{"status", "failureReason"}`. */
export function parseEnd(data: string): BuildEnd {
  try {
    const parsed = JSON.parse(data) as Partial<BuildEnd>;
    return { status: parsed.status ?? 'failed', failureReason: parsed.failureReason ?? null };
  } catch {
    return { status: 'failed', failureReason: data || null };
  }
}

/** One line of an environment's runtime log (GET …/logs with JSON). */
export interface LogLine {
  id: string;
  time: string;
  source: 'app' | 'router' | 'berth';
  /** app[web.1], berth, router */
  origin: string;
  process: string | null;
  instance: string | null;
  release: number | null;
  stream: 'stdout' | 'stderr' | null;
  text: string;
}

export interface LogFilters {
  process?: string;
  /** `web.1` */
  instance?: string;
  source?: '' | 'app' | 'router' | 'berth';
  q?: string;
  /** A time ago: `15m`, `1h`, `24h`, `7d`; empty for the newest lines whatever their age. */
  since?: string;
}

const logsQuery = (filters: LogFilters, extra: Record<string, string>) => {
  const params = new URLSearchParams({ format: 'json', ...extra });
  if (filters.process) params.set('process', filters.process);
  if (filters.instance) params.set('instance', filters.instance);
  if (filters.source) params.set('source', filters.source);
  if (filters.q) params.set('q', filters.q);
  if (filters.since) params.set('since', filters.since);
  return params.toString();
};

/** The matching lines as Heroku-format text, for a download. */
async function logsText(app: string, env: string, filters: LogFilters, tail: number): Promise<string> {
  const path = `${envPath(app, env)}/logs?${logsQuery(filters, { tail: String(tail), format: 'text' })}`;
  let response: Response;
  try {
    response = await fetch(path, { headers: headers({ accept: 'text/plain' }) });
  } catch {
    throw unreachable();
  }
  if (!response.ok) throw await errorFrom(response);
  return response.text();
}

export type { InstanceSeries, MetricsAnswer as Metrics, MetricsPeriod, RequestPoint } from '../../../libs/metrics/src/metrics.types';

/**
 * Follows an environment's log: the newest \`tail\` lines, then new ones as they are stored,
 * resuming after the last line seen (Last-Event-ID) when the connection breaks, until aborted.
 */
async function followLogs(app: string, env: string, filters: LogFilters, tail: number, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
  const path = `${envPath(app, env)}/logs?${logsQuery(filters, { follow: 'true', tail: String(tail) })}`;
  let lastEventId: string | undefined;
  for (let attempt = 0; ; attempt++) {
    let ended = false;
    await readEvents(
      path,
      lastEventId,
      (event) => {
        if (event.event === 'end') ended = true;
        else if (event.event === 'message') {
          try {
            onLine(JSON.parse(event.data) as LogLine);
          } catch {
            // not a line: ignore it
          }
        }
        if (event.id) lastEventId = event.id;
      },
      signal,
    );
    if (ended) return;
    if (attempt >= MAX_RECONNECTS) throw unreachable();
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  }
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
  appsPage: (options: { limit: number; cursor?: string | null }, signal?: AbortSignal) =>
    get<AppsPage>(`/api/apps?limit=${options.limit}${options.cursor ? `&cursor=${encodeURIComponent(options.cursor)}` : ''}`, signal),
  app: (app: string, signal?: AbortSignal) => get<AppDetail>(`/api/apps/${seg(app)}`, signal),
  createApp: (input: { name: string; team?: string; productionBranch?: string }) => request<App>('POST', '/api/apps', input),
  deleteApp: (app: string) => request<void>('DELETE', `/api/apps/${seg(app)}`),

  environments: (app: string, signal?: AbortSignal) => get<Environment[]>(`/api/apps/${seg(app)}/environments`, signal),
  environment: (app: string, env: string, signal?: AbortSignal) => get<EnvironmentDetail>(envPath(app, env), signal),
  setTtl: (app: string, env: string, ttlHours: number | null) => request<Environment>('PATCH', envPath(app, env), { ttlHours }),
  deleteEnvironment: (app: string, env: string) => request<void>('DELETE', envPath(app, env)),

  domains: (app: string, env: string, signal?: AbortSignal) => get<Domain[]>(`${envPath(app, env)}/domains`, signal),
  addDomain: (app: string, env: string, hostname: string) => request<Domain>('POST', `${envPath(app, env)}/domains`, { hostname }),
  removeDomain: (app: string, env: string, hostname: string) => request<void>('DELETE', `${envPath(app, env)}/domains/${seg(hostname)}`),

  config: (app: string, env: string, signal?: AbortSignal) => get<ConfigVars>(`${envPath(app, env)}/config`, signal),
  patchConfig: (app: string, env: string, patch: ConfigPatch) => request<ConfigVars>('PATCH', `${envPath(app, env)}/config`, patch),

  builds: (app: string, options: { environment?: string } = {}, signal?: AbortSignal) =>
    get<Build[]>(`/api/apps/${seg(app)}/builds${options.environment ? `?environment=${seg(options.environment)}` : ''}`, signal),
  build: (app: string, id: string, signal?: AbortSignal) => get<BuildWithLog>(`/api/apps/${seg(app)}/builds/${seg(id)}`, signal),
  followBuildLog,

  releases: (app: string, env: string, signal?: AbortSignal) => get<Release[]>(`${envPath(app, env)}/releases`, signal),
  rollback: (app: string, env: string, version: number) => request<Release>('POST', `${envPath(app, env)}/releases/${version}/rollback`),
  redeploy: (app: string, env: string, version: number) => request<Release>('POST', `${envPath(app, env)}/releases/${version}/redeploy`),

  formation: (app: string, env: string, signal?: AbortSignal) => get<Formation>(`${envPath(app, env)}/formation`, signal),
  patchFormation: (app: string, env: string, patch: FormationPatch) => request<Formation>('PATCH', `${envPath(app, env)}/formation`, patch),

  instances: (app: string, env: string, signal?: AbortSignal) => get<Instance[]>(`${envPath(app, env)}/instances`, signal),
  logs: (app: string, env: string, filters: LogFilters, tail: number, signal?: AbortSignal) =>
    get<LogLine[]>(`${envPath(app, env)}/logs?${logsQuery(filters, { tail: String(tail) })}`, signal),
  followLogs,
  logsText,

  metrics: (app: string, env: string, period: MetricsPeriod, signal?: AbortSignal) => get<Metrics>(`${envPath(app, env)}/metrics?period=${period}`, signal),

  hosts: (signal?: AbortSignal) => get<Host[]>('/api/hosts', signal),
  hostAction: (host: string, action: 'cordon' | 'uncordon' | 'drain') => request<Host>('POST', `/api/hosts/${seg(host)}/${action}`),
};
