/** A small typed client for Berth's REST API (README "API"), on fetch. */

/** An error the API answered with, or a failure to reach it; `message` is for people. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export class BerthClient {
  constructor(
    readonly api: string,
    private readonly token: string | null,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** The raw response of a request, for streams (one-off runs, build logs); errors thrown as ApiError. */
  async stream(method: string, path: string, body?: unknown, accept?: string): Promise<Response> {
    const response = await this.send(method, path, body, accept);
    if (!response.ok) throw await this.errorOf(response);
    return response;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    if (!response.ok) throw await this.errorOf(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.api}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(
        `Could not reach Berth at ${this.api} (${cause?.code ?? cause?.message ?? (error as Error).message}). Check that it runs, and the address (--api or BERTH_API_URL).`,
        0,
      );
    }
  }

  private async errorOf(response: Response): Promise<ApiError> {
    let body: { message?: unknown; code?: unknown } = {};
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // not JSON: say what the status was
    }
    const message = Array.isArray(body.message) ? body.message.join('; ') : typeof body.message === 'string' ? body.message : `Berth answered ${response.status} ${response.statusText}.`;
    const code = typeof body.code === 'string' ? body.code : null;
    if (response.status === 401 && code !== 'invalid_credentials') {
      return new ApiError(`${message} Log in again with: berth login`, 401, code);
    }
    const retry = response.headers.get('retry-after');
    return new ApiError(retry && response.status === 429 ? `${message} Try again in ${retry} s.` : message, response.status, code);
  }
}

// What the API returns, as far as the CLI reads it.
/** A streamed response's lines, without their line ends (server-sent events, logs). */
export async function* responseLines(response: Response): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n')) >= 0) {
      yield buffer.slice(0, at).replace(/\r$/, '');
      buffer = buffer.slice(at + 1);
    }
  }
}

export interface AppView {
  id: string;
  name: string;
  team: { id: string; name: string };
  productionBranch: string;
  gitUrl: string;
  url: string;
  createdAt: string;
  role?: string;
  environments?: { name: string; kind: string; branch: string; url: string }[];
}
export interface EnvironmentView {
  name: string;
  kind: 'production' | 'preview';
  branch: string;
  url: string;
  createdAt: string;
  expiresAt: string | null;
  status?: EnvironmentStatusView | null;
}
/** The environment's status, as the API, the router's 503 page and the push word it. */
export interface EnvironmentStatusView {
  state: string;
  message: string;
  hint?: string | null;
  latestPush?: { state: string; message: string; hint: string } | null;
}
export interface FormationLine {
  quantity: number;
  memoryMb: number;
  cpu: number;
  pidsLimit: number;
  memoryRequestMb?: number;
  cpuRequest?: number;
}
export type Formation = Record<string, FormationLine>;
export interface ReleaseView {
  version: number;
  status: 'pending' | 'deploying' | 'active' | 'superseded' | 'failed';
  current: boolean;
  description: string;
  failureReason: string | null;
  image: { id: string; digest: string; commitSha: string | null } | null;
  formation?: Formation;
  createdAt: string;
  createdBy: string | null;
}
export interface InstanceView {
  id: string;
  name: string;
  processType: string;
  release: number;
  host: string | null;
  desiredState: string;
  actualState: string;
  healthy: boolean;
  reason: string | null;
  restartCount: number;
  memory: { usageBytes: number | null; limitBytes: number };
  cpu: { limit: number; percent: number | null };
  startedAt: string | null;
}
export interface BuildView {
  id: string;
  environment: string;
  branch: string;
  commitSha: string;
  status: string;
  buildpack: string | null;
  failureReason: string | null;
  createdAt: string;
  finishedAt: string | null;
  log?: string;
}
export interface MeView {
  id: string;
  email: string;
  operator: boolean;
  memberships: { role: string; team: { id: string; name: string; personal: boolean } }[];
}
