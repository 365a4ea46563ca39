import type { INestApplication } from '@nestjs/common';
import { PrismaService } from '@berth/db';
import { ReleasesService } from '@berth/releases';
import { startPlatform, RunningPlatform } from '../support/platform';
import { insertImage } from '../support/runtime';
import { createApp, signUp, TestUser, unique } from '../support/users';

/**
 * Tenant isolation, route by route. The routes are read from the running application (the
 * Express router every request goes through), not from a list kept here, so a route added
 * tomorrow is checked too: it must either fill its parameters from the owner's fixture (and
 * then another team's user must get 404 and none of the owner's data), or sit in ALLOWED with
 * the reason it holds no tenant data. A route in neither fails the suite.
 */

interface Route {
  method: string;
  /** Express's pattern, e.g. /api/apps/:app/environments/:env/config */
  path: string;
  params: string[];
}

const keyOf = (route: Pick<Route, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** Every route the application answers, from the Express router Nest registered them on. */
function routesOf(app: INestApplication): Route[] {
  const express = app.getHttpAdapter().getInstance();
  const stack: { route?: { path: string; methods: Record<string, boolean> } }[] = (express.router ?? express._router).stack;
  return stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods)
          .filter((method) => method !== '_all')
          .map((method) => ({ method: method.toUpperCase(), path: layer.route!.path, params: [...layer.route!.path.matchAll(/:(\w+)/g)].map((m) => m[1]) }))
      : [],
  );
}

const SWAGGER = 'the OpenAPI document and its viewer: the same for everyone, no tenant data';

/** Routes that hold no tenant data in their path, with why. Anything else needs a case. */
const ALLOWED: Record<string, string> = {
  'GET /healthz': 'health of the installation, public',
  'POST /api/auth/signup': 'makes a new account; no tenant parameter',
  'POST /api/auth/login': 'the caller\'s own account',
  'GET /api/auth/me': 'the caller\'s own account',
  'GET /api/tokens': 'the caller\'s own tokens (checked below: lists show only your own)',
  'POST /api/tokens': 'makes a token for the caller',
  'GET /api/teams': 'the caller\'s own teams (checked below: lists show only your own)',
  'POST /api/teams': 'makes a team for the caller',
  'GET /api/apps': 'the caller\'s own apps (checked below: lists show only your own)',
  'POST /api/apps': 'makes an app in a team the caller names (checked below: another team\'s name gives 404)',
  'GET /api/hosts': 'hosts are shared by every team, not tenant data; operators only (BERTH_OPERATOR_EMAILS)',
  'POST /api/hosts/:host/cordon': 'hosts are shared by every team, not tenant data; operators only',
  'POST /api/hosts/:host/uncordon': 'hosts are shared by every team, not tenant data; operators only',
  'POST /api/hosts/:host/drain': 'hosts are shared by every team, not tenant data; operators only',
  'GET /{*path}': 'the dashboard\'s files and index.html: static, the same for everyone',
  'HEAD /{*path}': 'the dashboard\'s files and index.html: static, the same for everyone',
  'GET /api/docs': SWAGGER,
  'GET /api/docs/': SWAGGER,
  'GET /api/docs/index.html': SWAGGER,
  'GET /api/docs/LICENSE': SWAGGER,
  'GET /api/docs/swagger-ui-init.js': SWAGGER,
  'GET /api/docs/docs/swagger-ui-init.js': SWAGGER,
  'GET /api/docs/openapi.json': SWAGGER,
  'GET /api/docs-yaml': SWAGGER,
  'GET /api/docs-json': SWAGGER,
  'GET /metrics': 'the platform\'s health for Prometheus: counts by host, state and status class, no app or environment labels; operators only',
  'GET /cli/berth.tgz': 'the packed command line, the same file for everyone (no tenant data)',
};

/** The owner's data that the other team's user tries to reach. */
interface Fixture {
  owner: TestUser;
  member: TestUser;
  app: string;
  buildId: string;
  tokenId: string;
  drainId: string;
  domain: string;
  /** Values that must never appear in an answer to someone else (unless they sent them). */
  secrets: string[];
}

/**
 * How each path parameter is filled from the owner's fixture. A parameter that cannot be filled
 * (a new name, or `:id` under a new path) leaves its route without a case, which fails.
 */
const PARAMS: Record<string, (f: Fixture, route: Route) => string | undefined> = {
  app: (f) => f.app,
  env: () => 'production',
  team: (f) => f.owner.team,
  member: (f) => f.member.email,
  version: () => 'v1',
  hostname: (f) => f.domain,
  repo: (f) => `${f.app}.git`,
  id: (f, route) =>
    route.path.startsWith('/api/tokens/')
      ? f.tokenId
      : route.path.startsWith('/api/apps/:app/builds/')
        ? f.buildId
        : route.path.startsWith('/api/apps/:app/environments/:env/log-drains/')
          ? f.drainId
          : undefined,
};

/** Bodies and queries that pass validation, so the request reaches the tenant check. */
const BODIES: Record<string, (f: Fixture) => object> = {
  'PATCH /api/apps/:app/environments/:env': () => ({ ttlHours: 24 }),
  'PATCH /api/apps/:app/environments/:env/config': () => ({ SECRET: 'pwned' }),
  'PATCH /api/apps/:app/environments/:env/formation': () => ({ web: { quantity: 3 } }),
  'POST /api/apps/:app/environments/:env/run': () => ({ command: 'env' }),
  'POST /api/apps/:app/environments/:env/domains': () => ({ hostname: `${unique('evil')}.example.com` }),
  'POST /api/teams/:team/members': (f) => ({ email: f.member.email, role: 'owner' }),
  'PATCH /api/teams/:team/members/:member': () => ({ role: 'viewer' }),
};
const QUERIES: Record<string, string> = {
  'GET /git/:repo/info/refs': '?service=git-upload-pack',
  'GET /api/apps/:app/builds': '?environment=production',
};

/** Berth's error body: JSON with a code; git's endpoints answer in plain text, which git shows as "remote:" lines. */
function hasErrorBody(route: Route, response: { type: string; text: string; body?: { code?: string } }): boolean {
  if (route.path.startsWith('/git/') && response.type === 'text/plain') return response.text.trim().length > 0;
  return typeof response.body?.code === 'string';
}

function fill(route: Route, f: Fixture, override: Record<string, string> = {}): string | null {
  let path = route.path;
  for (const param of route.params) {
    const value = override[param] ?? PARAMS[param]?.(f, route);
    if (value === undefined) return null;
    path = path.replace(`:${param}`, override[param] ? value : encodeURIComponent(value));
  }
  return path + (QUERIES[keyOf(route)] ?? '');
}

describe('tenant isolation', () => {
  let platform: RunningPlatform;
  let routes: Route[];
  let f: Fixture;
  let mallory: TestUser;
  let malloryGit: string;
  let ownerGit: string;

  const send = (route: Route, path: string, auth: Record<string, string>, body?: object) => {
    const request = platform.http()[route.method.toLowerCase() as 'get'](path).set(auth);
    return body && route.method !== 'GET' && route.method !== 'HEAD' ? request.send(body) : request;
  };
  const authFor = (route: Route, user: TestUser, gitToken: string) =>
    route.path.startsWith('/git/') ? { Authorization: `Basic ${Buffer.from(`x:${gitToken}`).toString('base64')}` } : user.auth;

  beforeAll(async () => {
    platform = await startPlatform();
    routes = routesOf(platform.app);
    const owner = await signUp(platform, 'alice');
    const member = await signUp(platform, 'bob');
    mallory = await signUp(platform, 'mallory');
    await platform.http().post(`/api/teams/${owner.team}/members`).set(owner.auth).send({ email: member.email, role: 'member' }).expect(201);
    const app = await createApp(platform, owner, 'private');
    const secretValue = `s3cret-${unique('v')}`;
    await platform.http().patch(`/api/apps/${app}/environments/production/config`).set(owner.auth).send({ SECRET: secretValue }).expect(200);
    const db = platform.app.get(PrismaService);
    const { environment, build, image } = await insertImage(db, app, { tag: 'localhost/none:1', processTypes: { web: 'httpd -f -p $PORT' } });
    await platform.app.get(ReleasesService).deployImage({ environmentId: environment.id, imageId: image.id, createdById: null });
    const domain = `${unique('www')}.example.com`;
    await platform.http().post(`/api/apps/${app}/environments/production/domains`).set(owner.auth).send({ hostname: domain }).expect(201);
    const token = (await platform.http().post('/api/tokens').set(owner.auth).send({ name: unique('alice-ci') }).expect(201)).body;
    ownerGit = (await platform.http().post('/api/tokens').set(owner.auth).send({ name: 'git', scopes: ['git'] }).expect(201)).body.token;
    malloryGit = (await platform.http().post('/api/tokens').set(mallory.auth).send({ name: 'git', scopes: ['git'] }).expect(201)).body.token;
    const team = await db.team.findUniqueOrThrow({ where: { name: owner.team } });
    // A log drain written directly: through the API it would need a public https receiver.
    const drainUrl = `https://${unique('drain')}.example.com/ingest`;
    const drain = await db.logDrain.create({ data: { environmentId: environment.id, url: drainUrl } });
    f = {
      owner,
      member,
      app,
      buildId: build.id,
      tokenId: token.id,
      drainId: drain.id,
      domain,
      secrets: [secretValue, owner.team, owner.email, member.email, app, team.id, environment.id, build.id, image.id, image.digest, image.commitSha, token.id, token.name, token.prefix, domain, drain.id, drainUrl],
    };
  });
  afterAll(async () => platform.close());

  it('reads the routes from the running application', () => {
    const keys = routes.map(keyOf);
    // A broken enumeration must not pass as "no routes, nothing to check".
    expect(keys).toEqual(expect.arrayContaining(['GET /api/apps/:app', 'PATCH /api/apps/:app/environments/:env/config', 'DELETE /api/tokens/:id', 'GET /git/:repo/info/refs']));
    // Entries for routes that are gone are stale: remove them.
    for (const key of [...Object.keys(ALLOWED), ...Object.keys(BODIES), ...Object.keys(QUERIES)]) expect(keys).toContain(key);
  });

  it('has a case or an allow-list reason for every route', () => {
    const uncovered = routes.filter((route) => !ALLOWED[keyOf(route)] && (route.params.length === 0 || fill(route, f) === null)).map(keyOf);
    // A new route lands here: give its parameters a PARAMS entry, or put it in ALLOWED with a reason.
    expect(uncovered).toEqual([]);
  });

  it("gives another team's user 404 on every route with a tenant parameter, with none of the owner's data", async () => {
    const checked: string[] = [];
    const failures: string[] = [];
    for (const route of routes.filter((r) => !ALLOWED[keyOf(r)])) {
      const path = route.params.length ? fill(route, f) : null;
      if (!path) continue; // reported by the test above
      const body = BODIES[keyOf(route)]?.(f) ?? {};
      const response = await send(route, path, authFor(route, mallory, malloryGit), body);
      const sent = `${path} ${JSON.stringify(body)}`;
      const leaked = f.secrets.filter((secret) => !sent.includes(secret) && response.text.includes(secret));
      if (response.status !== 404) failures.push(`${keyOf(route)}: ${response.status} ${response.text.slice(0, 200)}`);
      else if (!hasErrorBody(route, response)) failures.push(`${keyOf(route)}: 404 without Berth's error body`);
      if (leaked.length) failures.push(`${keyOf(route)}: the answer contains ${leaked.join(', ')}`);
      checked.push(keyOf(route));
    }
    expect(failures).toEqual([]);
    expect(checked.length).toBeGreaterThanOrEqual(25);
  });

  it("shows another team's user none of the owner's things in lists, and refuses their team by name", async () => {
    const apps = await platform.http().get('/api/apps').set(mallory.auth).expect(200);
    const teams = await platform.http().get('/api/teams').set(mallory.auth).expect(200);
    const tokens = await platform.http().get('/api/tokens').set(mallory.auth).expect(200);
    for (const response of [apps, teams, tokens]) for (const secret of f.secrets) expect(response.text).not.toContain(secret);
    expect(teams.text).not.toContain(f.owner.team);
    const create = await platform.http().post('/api/apps').set(mallory.auth).send({ name: unique('squat'), team: f.owner.team }).expect(404);
    expect(create.body.code).toBe('team_not_found');
  });

  it("leaves the owner's things as they were", async () => {
    const { owner, app } = f;
    const config = await platform.http().get(`/api/apps/${app}/environments/production/config`).set(owner.auth).expect(200);
    expect(config.body).toEqual({ SECRET: f.secrets[0] });
    const domains = await platform.http().get(`/api/apps/${app}/environments/production/domains`).set(owner.auth).expect(200);
    expect(domains.body.map((d: { hostname: string }) => d.hostname)).toEqual([f.domain]);
    const releases = await platform.http().get(`/api/apps/${app}/environments/production/releases`).set(owner.auth).expect(200);
    expect(releases.body.map((r: { version: number }) => r.version)).toEqual([1]);
    const members = await platform.http().get(`/api/teams/${owner.team}/members`).set(owner.auth).expect(200);
    expect(members.body.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([[owner.email, 'owner'], [f.member.email, 'member']]);
    const tokens = await platform.http().get('/api/tokens').set(owner.auth).expect(200);
    expect(tokens.body.map((t: { id: string }) => t.id)).toContain(f.tokenId);
  });

  it('answers 400 or 404, never 500, to a control character in any path parameter or the query', async () => {
    const failures: string[] = [];
    let tried = 0;
    for (const route of routes) {
      const nul = 'a%00b';
      const variants = route.params.map((param) => fill(route, f, { [param]: nul }) ?? route.path.replace(`:${param}`, nul));
      // Names also come in the query (GET /api/apps/:app/builds?environment=…); only reads get one, so a
      // request that slipped through could not change the owner's things.
      if (route.method === 'GET') variants.push(`${(fill(route, f) ?? route.path).replace('{*path}', 'apps')}${QUERIES[keyOf(route)] ? '&' : '?'}environment=${nul}`);
      for (const path of variants) {
        // As the owner, so the name gets past the tenant check to wherever it is used.
        const response = await send(route, path, authFor(route, f.owner, ownerGit), BODIES[keyOf(route)]?.(f) ?? {});
        tried++;
        if (![400, 404].includes(response.status)) failures.push(`${route.method} ${path}: ${response.status} ${response.text.slice(0, 160)}`);
        else if (!hasErrorBody(route, response)) failures.push(`${route.method} ${path}: ${response.status} without Berth's error body`);
      }
    }
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(routes.length);
  });
});
