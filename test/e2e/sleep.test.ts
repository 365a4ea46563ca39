import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { LogWriter } from '@berth/logs';
import { loadClusterInput } from '@berth/placement';
import { EdgeRouter } from '@berth/router';
import { ensureWebAppImage } from '../support/images';
import { get } from '../support/router';
import { deploy, eventually, startWholePlatform, WholePlatform } from '../support/runtime';
import { createApp, signUp, TestUser } from '../support/users';

jest.setTimeout(300_000);

// The image's own command (`node /app/web-app.js`; the image has no shell for a Procfile line).
const NODE_WEB = { web: null } as unknown as Record<string, string>;

/** The containers of an environment on the engine, with their state (kept while asleep). */
function containersOfEnv(app: string, env: string): { id: string; running: boolean }[] {
  const out = execFileSync('podman', ['ps', '-a', '--filter', `label=berth.app=${app}`, '--filter', `label=berth.env=${env}`, '--format', '{{.ID}} {{.State}}']).toString().trim();
  return out ? out.split('\n').map((line) => ({ id: line.split(' ')[0], running: /^(up|running)/i.test(line.split(' ')[1]) })) : [];
}

/** The engine's state of a container: running, paused, exited… */
const stateOf = (id: string) => execFileSync('podman', ['inspect', '--format', '{{.State.Status}}', id]).toString().trim();

/**
 * The kernel's freezer state of a running container's cgroup (cgroup v1, as this host has:
 * THAWED, FREEZING, FROZEN): the agent freezes there itself, so the engine still says it runs.
 */
function freezerStateOf(id: string): string {
  const pid = execFileSync('podman', ['inspect', '--format', '{{.State.Pid}}', id]).toString().trim();
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes('freezer'));
  return readFileSync(`/sys/fs/cgroup/freezer${line!.split(':')[2]}/freezer.state`, 'utf8').trim();
}

/** Berth's own lines of an environment's log, e.g. `web.1 frozen: the environment is asleep (v1)`. */
async function berthLines(platform: WholePlatform['platform'], app: string, env = 'production', source = 'berth'): Promise<string[]> {
  await platform.app.get(LogWriter).flush();
  const db = platform.app.get(PrismaService);
  const environment = await db.environment.findFirstOrThrow({ where: { name: env, app: { name: app } } });
  return (await db.logLine.findMany({ where: { environmentId: environment.id, source }, orderBy: { id: 'asc' } })).map((line) => line.text);
}

/**
 * Waits until the environment's status says `sleeping`, then until the router has applied it:
 * the status is read from the database the moment the Sleeper commits, and a request sent in the
 * few milliseconds before the router takes the instance out (HAProxy's runtime API) reached the
 * app being put to sleep, answered without a wake (seen once in CI).
 */
async function fallenAsleep<S extends { state: string }>(platform: WholePlatform['platform'], app: string, env: string, status: () => Promise<S>): Promise<S> {
  const asleep = await eventually(`${env} to fall asleep`, async () => ((await status()).state === 'sleeping' ? status() : null), 120_000);
  const environment = await platform.app.get(PrismaService).environment.findFirstOrThrow({ where: { name: env, app: { name: app } } });
  await platform.app.get(EdgeRouter, { strict: false }).refresh(environment.id);
  return asleep;
}

/**
 * Sleeping environments on the whole platform (api, scheduler, agent, router in one process,
 * real Podman and HAProxy). A minute of sleepAfterMinutes lasts 8 s here (SLEEP_MINUTE_SECONDS)
 * and the sleeper looks every second: the API still takes minutes. This platform never freezes
 * (AGENT_FREEZE_MINUTES=0): a sleeping environment's container is stopped at once, the deep
 * stage of sleep, and woken by a start; the frozen first stage has its own platform below.
 */
describe('sleeping environments (deep sleep: stopped, woken by a start)', () => {
  let stack: WholePlatform;
  let db: PrismaService;
  let user: TestUser;
  let app: string;
  const image = ensureWebAppImage();

  beforeAll(async () => {
    stack = await startWholePlatform({ env: { AGENT_HEALTH_TIMEOUT_SECONDS: '60', ROLLOUT_TIMEOUT_SECONDS: '180', WAKE_TIMEOUT_SECONDS: '40', ROUTER_RESPONSE_TIMEOUT_SECONDS: '120', HOST_DOWN_AFTER_SECONDS: '30', HOST_LOST_AFTER_SECONDS: '120', SLEEP_MINUTE_SECONDS: '8', SLEEP_CHECK_SECONDS: '1', ROUTER_ACTIVITY_SECONDS: '1', ROUTER_MAX_BODY_KB: '512', AGENT_FREEZE_MINUTES: '0' } });
    db = stack.platform.app.get(PrismaService);
    user = await signUp(stack.platform);
    app = await createApp(stack.platform, user, 'sleepy');
    const { failure } = await deploy(stack.platform, app, { tag: image, processTypes: NODE_WEB });
    expect(failure).toBeNull();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const envPath = (env = 'production') => `/api/apps/${app}/environments/${env}`;
  const host = (env = 'production') => (env === 'production' ? `${app}.localhost` : `${env}--${app}.localhost`);
  const status = async (env = 'production') => (await stack.platform.http().get(envPath(env)).set(user.auth).expect(200)).body.status;
  const asleep = (env = 'production') => fallenAsleep(stack.platform, app, env, () => status(env));
  const wakes = async (env = 'production') => {
    // Berth's log lines are written in batches: store what is pending first.
    await stack.platform.app.get(LogWriter).flush();
    const environment = await db.environment.findFirstOrThrow({ where: { name: env, app: { name: app } } });
    return db.logLine.count({ where: { environmentId: environment.id, source: 'berth', text: 'woke on a request' } });
  };
  const bookedBy = async (env = 'production') => {
    const environment = await db.environment.findFirstOrThrow({ where: { name: env, app: { name: app } } });
    const ids = new Set((await db.instance.findMany({ where: { environmentId: environment.id }, select: { id: true } })).map((i) => i.id));
    return (await loadClusterInput(db)).instances.filter((i) => ids.has(i.id)).length;
  };

  it('takes sleepAfterMinutes as whole minutes from 1 to a week, or null', async () => {
    for (const bad of [0, 1.5, 10081, '5']) {
      const res = await stack.platform.http().patch(envPath()).set(user.auth).send({ sleepAfterMinutes: bad }).expect(400);
      expect(res.body.fields.sleepAfterMinutes).toMatch(/whole number of minutes/);
    }
    expect((await stack.platform.http().patch(envPath()).set(user.auth).send({}).expect(400)).body.code).toBe('nothing_to_change');
    const off = await stack.platform.http().patch(envPath()).set(user.auth).send({ sleepAfterMinutes: null }).expect(200);
    expect(off.body.sleepAfterMinutes).toBeNull();
    expect((await get(stack.routerPort, host())).body).toBe('app');
  });

  it('puts an idle environment to sleep: its container stopped and kept, nothing booked, the status says since when', async () => {
    const [before] = containersOfEnv(app, 'production');
    const res = await stack.platform.http().patch(envPath()).set(user.auth).send({ sleepAfterMinutes: 1 }).expect(200);
    expect(res.body.sleepAfterMinutes).toBe(1);
    const sleeping = await asleep();
    expect(sleeping.message).toMatch(/^Asleep since .+ after 1 minute without requests\.$/);
    expect(sleeping.hint).toBe('The next request wakes it.');
    expect(new Date(sleeping.since).getTime()).not.toBeNaN();
    await eventually('the container to stop', async () => containersOfEnv(app, 'production').every((c) => !c.running));
    expect(containersOfEnv(app, 'production').map((c) => c.id)).toEqual([before.id]);
    expect(await bookedBy()).toBe(0);
  });

  it('wakes on a GET, answered by the app itself, starting the kept container', async () => {
    const [kept] = containersOfEnv(app, 'production');
    const started = performance.now();
    const answer = await get(stack.routerPort, host());
    const first = performance.now() - started;
    expect(answer).toMatchObject({ status: 200, body: 'app' });
    const again = performance.now();
    await get(stack.routerPort, host());
    // A figure for the README, not an assertion: this host is shared with other test runs.
    console.log(`sleep: the first request to the sleeping app took ${first.toFixed(0)} ms, the next one ${(performance.now() - again).toFixed(0)} ms`);
    expect(await wakes()).toBe(1);
    expect(containersOfEnv(app, 'production')).toEqual([{ id: kept.id, running: true }]);
    expect(await bookedBy()).toBe(1);
    expect((await status()).state).toBe('running');
  });

  it('wakes on a POST whose body survives the wait', async () => {
    await asleep();
    const body = Buffer.alloc(300 * 1024, 'x');
    const answer = await get(stack.routerPort, host(), '/upload', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } });
    expect(answer).toMatchObject({ status: 200, body: String(body.length) });
    expect(await wakes()).toBe(2);
  });

  it('wakes once for 20 concurrent first requests, and answers every one', async () => {
    await asleep();
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(stack.routerPort, host())));
    expect(answers.map((a) => `${a.status} ${a.body}`)).toEqual(Array(20).fill('200 app'));
    expect(await wakes()).toBe(3);
  });

  it('keeps a sleeping environment asleep across a config change; the next request sees the new config', async () => {
    await asleep();
    await stack.platform.http().patch(`${envPath()}/config`).set(user.auth).send({ INSTANCE_NAME: 'second' }).expect(200);
    // The new release rolls out (its instance proves it starts), then goes back to sleep.
    await eventually('v2 to be current and asleep', async () => {
      const releases = (await stack.platform.http().get(`${envPath()}/releases`).set(user.auth).expect(200)).body;
      return releases.find((r: { current: boolean }) => r.current)?.version === 2 && (await status()).state === 'sleeping';
    }, 120_000);
    await eventually('only v2 kept, stopped', async () => {
      const containers = containersOfEnv(app, 'production');
      return containers.length === 1 && !containers[0].running;
    });
    const woke = await wakes();
    const second = await get(stack.routerPort, host());
    expect(second.body).toBe('second');
    expect(await wakes()).toBe(woke + 1);
  });

  it('rolls a sleeping environment back, asleep, to the old config', async () => {
    await asleep();
    await stack.platform.http().post(`${envPath()}/releases/v1/rollback`).set(user.auth).expect(201);
    await eventually('v3 to be current and asleep', async () => {
      const releases = (await stack.platform.http().get(`${envPath()}/releases`).set(user.auth).expect(200)).body;
      return releases.find((r: { current: boolean }) => r.current)?.version === 3 && (await status()).state === 'sleeping';
    }, 120_000);
    expect((await get(stack.routerPort, host())).body).toBe('app');
  });

  it('deletes a sleeping preview: its kept container goes, its URL answers 404', async () => {
    const appRow = await db.app.findUniqueOrThrow({ where: { name: app } });
    await db.environment.create({ data: { appId: appRow.id, name: 'feat', kind: 'preview', branch: 'feat', sleepAfterMinutes: 1 } });
    const { failure } = await deploy(stack.platform, app, { tag: image, processTypes: NODE_WEB, envName: 'feat' });
    expect(failure).toBeNull();
    await asleep('feat');
    expect(containersOfEnv(app, 'feat')).toHaveLength(1);
    await stack.platform.http().delete(envPath('feat')).set(user.auth).expect(204);
    await eventually('the kept container to be removed', async () => containersOfEnv(app, 'feat').length === 0);
    await eventually('its URL to answer 404', async () => (await get(stack.routerPort, host('feat'))).status === 404);
  });
});

/**
 * The first stage of sleep, the default (AGENT_FREEZE_MINUTES 30): a sleeping environment's
 * container is frozen (the kernel's freezer, as the engine's pause does: memory kept, no CPU), woken by a thaw of the same
 * container, removed like any when its environment goes, and stopped once frozen past the window.
 */
describe('sleeping environments (frozen first: woken by a thaw)', () => {
  let stack: WholePlatform;
  let db: PrismaService;
  let user: TestUser;
  let app: string;
  const image = ensureWebAppImage();

  beforeAll(async () => {
    stack = await startWholePlatform({ env: { AGENT_HEALTH_TIMEOUT_SECONDS: '60', ROLLOUT_TIMEOUT_SECONDS: '180', WAKE_TIMEOUT_SECONDS: '40', ROUTER_RESPONSE_TIMEOUT_SECONDS: '120', HOST_DOWN_AFTER_SECONDS: '30', HOST_LOST_AFTER_SECONDS: '120', SLEEP_MINUTE_SECONDS: '8', SLEEP_CHECK_SECONDS: '1', ROUTER_ACTIVITY_SECONDS: '1' } });
    db = stack.platform.app.get(PrismaService);
    user = await signUp(stack.platform);
    app = await createApp(stack.platform, user, 'frozen');
    const { failure } = await deploy(stack.platform, app, { tag: image, processTypes: NODE_WEB });
    expect(failure).toBeNull();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const envPath = (env = 'production') => `/api/apps/${app}/environments/${env}`;
  const host = (env = 'production') => (env === 'production' ? `${app}.localhost` : `${env}--${app}.localhost`);
  const status = async (env = 'production') => (await stack.platform.http().get(envPath(env)).set(user.auth).expect(200)).body.status;
  const asleep = (env = 'production') => fallenAsleep(stack.platform, app, env, () => status(env));
  const frozen = (env = 'production') =>
    eventually(`the container of ${env} to be frozen`, async () => {
      const containers = containersOfEnv(app, env);
      return containers.length === 1 && stateOf(containers[0].id) === 'running' && freezerStateOf(containers[0].id) === 'FROZEN' ? containers[0] : null;
    });

  it('freezes an idle environment: its container frozen and kept, nothing booked, the status says sleeping since when', async () => {
    const [before] = containersOfEnv(app, 'production');
    await stack.platform.http().patch(envPath()).set(user.auth).send({ sleepAfterMinutes: 1 }).expect(200);
    const sleeping = await asleep();
    expect(sleeping.message).toMatch(/^Asleep since .+ after 1 minute without requests\.$/);
    expect(new Date(sleeping.since).getTime()).not.toBeNaN();
    expect((await frozen()).id).toBe(before.id);
    // Reported asleep on its row right after the freeze.
    const instance = await eventually('the row reported asleep', async () => {
      const row = await db.instance.findFirstOrThrow({ where: { environment: { name: 'production', app: { name: app } } } });
      return row.actualState === 'stopped' ? row : null;
    });
    expect(instance).toMatchObject({ desiredState: 'stopped', actualState: 'stopped', healthy: false, hostPort: null });
    // Placement books nothing for it, frozen or stopped.
    expect((await loadClusterInput(db)).instances.filter((i) => i.id === instance.id)).toHaveLength(0);
    await eventually('the freeze in the log', async () => (await berthLines(stack.platform, app)).includes('web.1 frozen: the environment is asleep (v1)'));
  });

  it('wakes on a GET, answered by the app from the same container, thawed', async () => {
    const kept = await frozen();
    const started = performance.now();
    const answer = await get(stack.routerPort, host(), '/', { headers: { 'x-request-id': 'e2e-wake-0001' } });
    // A figure for the README, not an assertion: this host is shared with other test runs.
    console.log(`sleep: the first request to the frozen app took ${(performance.now() - started).toFixed(0)} ms`);
    expect(answer).toMatchObject({ status: 200, body: 'app' });
    expect(containersOfEnv(app, 'production')).toEqual([{ id: kept.id, running: true }]);
    expect(stateOf(kept.id)).toBe('running');
    expect(freezerStateOf(kept.id)).toBe('THAWED');
    expect((await status()).state).toBe('running');
    await eventually('the thaw in the log', async () => (await berthLines(stack.platform, app)).includes('web.1 thawed: woken (v1)'));
    expect(await berthLines(stack.platform, app)).toContain('woke on a request');
    // The router held the request and forwarded it itself: its line still names the instance.
    const line = await eventually('the router line of the waking request', async () => (await berthLines(stack.platform, app, 'production', 'router')).find((t) => t.includes('request_id=e2e-wake-0001')));
    expect(line).toMatch(/^at=info method=GET path=\/ .* status=200 .* instance=web\.1$/);
  });

  it('deletes a frozen preview: its container goes, its URL answers 404', async () => {
    const appRow = await db.app.findUniqueOrThrow({ where: { name: app } });
    await db.environment.create({ data: { appId: appRow.id, name: 'feat', kind: 'preview', branch: 'feat', sleepAfterMinutes: 1 } });
    const { failure } = await deploy(stack.platform, app, { tag: image, processTypes: NODE_WEB, envName: 'feat' });
    expect(failure).toBeNull();
    await asleep('feat');
    const kept = await frozen('feat');
    await stack.platform.http().delete(envPath('feat')).set(user.auth).expect(204);
    await eventually('the frozen container to be removed', async () => containersOfEnv(app, 'feat').length === 0);
    expect(execFileSync('podman', ['ps', '-aq', '--filter', `id=${kept.id}`]).toString().trim()).toBe('');
    await eventually('its URL to answer 404', async () => (await get(stack.routerPort, host('feat'))).status === 404);
  });

  it('stops a container frozen past AGENT_FREEZE_MINUTES (deep sleep), then wakes it by a start of the same container', async () => {
    const kept = await frozen();
    // The freeze window ends now: the agent reads it each round (a test seam; AGENT_FREEZE_MINUTES in production).
    (stack.platform.app.get(BerthConfig).agent as { freezeMs: number }).freezeMs = 1;
    await eventually('the frozen container to be stopped', async () => /^(exited|stopped)$/.test(stateOf(kept.id)), 90_000);
    expect(containersOfEnv(app, 'production').map((c) => c.id)).toEqual([kept.id]);
    // The agent says so right after the engine's stop returns.
    await eventually('the stop in the log', async () => (await berthLines(stack.platform, app)).some((line) => /^web\.1 stopped: asleep for \d+ minutes? \(frozen longer than AGENT_FREEZE_MINUTES\) \(v1\)$/.test(line)));
    const answer = await get(stack.routerPort, host());
    expect(answer).toMatchObject({ status: 200, body: 'app' });
    expect(containersOfEnv(app, 'production')).toEqual([{ id: kept.id, running: true }]);
    await eventually('the start in the log', async () => (await berthLines(stack.platform, app)).includes('web.1 started: woken (v1)'));
  });
});
