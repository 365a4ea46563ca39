import { randomBytes } from 'node:crypto';
import { containersOfApp } from '../support/fullstack';
import { OwnPostgres, OwnRedis, removeAppLeftovers, signUpOver, sleep, SlowRelay, steadyRate } from '../support/faults';
import { GitResult, WorkingCopy } from '../support/git';
import { BerthProcess } from '../support/process';
import { eventually, get } from '../support/router';
import { unique } from '../support/users';

jest.setTimeout(360_000);

/** The moments of a push at which a fault is injected, told apart by what the database holds for its commit. */
type Moment = 'receiving' | 'building' | 'releasing' | 'rolling out';

interface Fault {
  name: string;
  moment: Moment;
  /** Does the damage and returns once the part is back. */
  inject: () => Promise<void>;
}

interface Figure {
  fault: string;
  moment: Moment;
  pushExit: number;
  requests: number;
  failed: number;
  servedAfterSeconds: number;
}

/**
 * Fault injection at each moment of a push: one install with BERTH_PROCESSES=per-role (each
 * role its own process under the supervisor), its own Redis and PostgreSQL. For each fault, a
 * push of a new commit is started, and when the push reaches the chosen moment the fault is
 * injected (a role killed with SIGKILL, or Redis or PostgreSQL stopped and started again).
 * While it happens a second app that was already running takes 10 requests/s through the
 * router. Then:
 * - the push's exit code agrees with what serves: exit 0 only if the new commit answers
 *   when the push ends;
 * - nothing stays stuck: every build and release of the app ends;
 * - nothing is lost: pushing the same commit again exits 0 and the commit answers (deployed by
 *   the first push's durable deploy, or by this one when the first left the branch where it was);
 * - one container runs for the app (none orphaned, none doubled);
 * - the other app kept answering (the number of failed requests is the figure; the goal is 0).
 *
 * Which role matters at which moment: the api receives pushes and makes releases, the builder
 * builds, the scheduler places and rolls out, the agent starts containers, the router routes
 * to them. Each is killed at the moments it takes part in; killing a role at a moment it
 * plays no part in is the idle kill of roles.test.ts.
 */
describe('faults at each moment of a push', () => {
  const redis = new OwnRedis();
  const postgres = new OwnPostgres();
  let berth: BerthProcess;
  let relay: SlowRelay;
  let database = '';
  let token = '';
  const steady = unique('steady');
  const app = unique('moment');
  let steadyCopy: WorkingCopy | undefined;
  let copy: WorkingCopy | undefined;
  let pushes = 0;
  const figures: Figure[] = [];

  const gitUrl = (name: string, port = berth.port) => `http://git:${token}@127.0.0.1:${port}/git/${name}.git`;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${berth.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const body = (name: string) => get(berth.routerPort, `${name}.localhost`).then(
    (a) => (a.status === 200 ? a.body : `${a.status}`),
    (error: Error) => error.message,
  );
  const sql = (query: string) => postgres.query(database, query);
  const apiUp = () => fetch(`${berth.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);

  /** Kills a role's process and waits for the supervisor to start it again. */
  const killRole = (role: string) => async () => {
    const killed = berth.groupPid(role)!;
    expect(killed).toBeGreaterThan(0);
    process.kill(killed, 'SIGKILL');
    await eventually(
      async () => berth.groupPid(role),
      (pid) => pid !== undefined && pid !== killed && berth.started(pid),
      `the supervisor to start the ${role} again`,
      90_000,
    );
  };

  /** Resolves when the push of `sha` reaches `moment`; throws if the push ends first (the fault would miss it). */
  async function reach(moment: Moment, sha: string, pushing: { done: boolean }, startedAt: number): Promise<void> {
    const build = () => sql(`SELECT id, status FROM "Build" WHERE "commitSha" = '${sha}' ORDER BY "createdAt" DESC LIMIT 1`)[0];
    for (;;) {
      if (pushing.done) throw new Error(`the push ended before it was ${moment}`);
      const [id, status] = build() ?? [];
      if (moment === 'receiving') {
        // The upload goes through a slow relay: a second into it, Berth is still receiving.
        if (id) throw new Error('the push was received before the fault (the relay is too fast)');
        if (Date.now() - startedAt > 1000) return;
      } else if (moment === 'building' && status === 'building') return;
      else if (moment === 'releasing' && status === 'succeeded') return;
      else if (moment === 'rolling out' && id) {
        const release = sql(`SELECT status FROM "Release" WHERE "buildId" = '${id}'`)[0];
        if (release && ['pending', 'deploying'].includes(release[0])) return;
      }
      await sleep(moment === 'releasing' ? 20 : 100);
    }
  }

  beforeAll(async () => {
    await redis.start();
    await postgres.create();
    berth = await BerthProcess.create(
      { BERTH_PROCESSES: 'per-role', NO_COLOR: '1', AGENT_HEARTBEAT_SECONDS: '2', SCHEDULER_INTERVAL_MS: '500', REDIS_URL: redis.url },
      postgres.adminUrl,
    );
    database = new URL(berth.env().DATABASE_URL!).pathname.slice(1);
    await berth.prepare();
    await berth.start(120_000);
    // 256 KiB/s: the 1 MiB of random bytes below takes about four seconds to upload.
    relay = new SlowRelay(berth.port, 256 * 1024);
    await relay.start();
  });

  afterAll(async () => {
    if (figures.length) {
      console.log(
        [
          'Fault (at a push moment)             push exit   requests   failed   new commit served after (s)',
          ...figures.map(
            (f) =>
              `${`${f.fault} while ${f.moment}`.padEnd(36)} ${String(f.pushExit).padStart(9)} ${String(f.requests).padStart(10)} ${String(f.failed).padStart(8)}   ${f.servedAfterSeconds.toFixed(1)}`,
          ),
        ].join('\n'),
      );
    }
    await relay?.stop();
    if (berth) {
      await berth.stop('SIGTERM').catch(() => undefined);
      await berth.cleanup();
    }
    await redis.remove();
    postgres.remove();
    copy?.remove();
    steadyCopy?.remove();
    removeAppLeftovers(app, steady);
  });

  it('deploys an app that keeps serving, and the app the faults are pushed to', async () => {
    const signup = await signUpOver(berth.url, `${unique('moments')}@example.com`);
    expect(signup.status).toBe(201);
    token = signup.token;
    for (const name of [steady, app]) expect((await api('/api/apps', { method: 'POST', body: JSON.stringify({ name }) })).status).toBe(201);
    steadyCopy = await WorkingCopy.fromFixture('static');
    steadyCopy.write('public/index.html', 'steady\n');
    await steadyCopy.commitAll('steady');
    expect((await steadyCopy.push(gitUrl(steady), 'main')).code).toBe(0);
    copy = await WorkingCopy.fromFixture('static');
    copy.write('public/index.html', 'moment 0\n');
    // Incompressible bytes that make the first upload take seconds through the relay.
    copy.write('payload.bin', randomBytes(1024 * 1024));
    await copy.commitAll('moment 0');
    await eventually(() => body(steady), (b) => b === 'steady\n', 'the steady app to answer', 60_000);
  });

  const faults: Fault[] = [
    { name: 'api killed', moment: 'receiving', inject: killRole('api') },
    { name: 'api killed', moment: 'building', inject: killRole('api') },
    { name: 'builder killed', moment: 'building', inject: killRole('builder') },
    { name: 'Redis restarted', moment: 'building', inject: async () => (await redis.stop(), await sleep(3000), await redis.start()) },
    { name: 'api killed', moment: 'releasing', inject: killRole('api') },
    { name: 'scheduler killed', moment: 'releasing', inject: killRole('scheduler') },
    { name: 'api killed', moment: 'rolling out', inject: killRole('api') },
    { name: 'scheduler killed', moment: 'rolling out', inject: killRole('scheduler') },
    { name: 'agent killed', moment: 'rolling out', inject: killRole('agent') },
    { name: 'router killed', moment: 'rolling out', inject: killRole('router') },
    { name: 'PostgreSQL restarted', moment: 'rolling out', inject: async () => (postgres.stop(), await sleep(3000), postgres.start()) },
  ];

  for (const fault of faults) {
    it(`${fault.name} while the push is ${fault.moment}: the push tells the truth and nothing is lost`, async () => {
      await eventually(apiUp, (status) => status === 200, 'the API to answer before the push', 60_000);
      const n = ++pushes;
      const expected = `moment ${n}\n`;
      // The first push carries the big file; later ones only a small change, so they go through the relay only when receiving is the moment.
      if (fault.moment === 'receiving') copy!.write('payload.bin', randomBytes(1024 * 1024));
      copy!.write('public/index.html', expected);
      const sha = await copy!.commitAll(`moment ${n}`);
      const load = steadyRate(berth.routerPort, `${steady}.localhost`, 10);
      const pushing = { done: false };
      const startedAt = Date.now();
      const push = copy!.push(gitUrl(app, fault.moment === 'receiving' ? relay.port : berth.port), 'main').then((result) => {
        pushing.done = true;
        return result;
      });
      let result: GitResult;
      try {
        await reach(fault.moment, sha, pushing, startedAt);
        await fault.inject();
      } finally {
        result = await push;
      }
      const atExit = await body(app);
      const output = `${result.stdout}\n${result.stderr}`;
      // Exit 0 only when the new commit serves.
      if (result.code === 0) expect(atExit).toBe(expected);
      else expect(output).not.toMatch(/Deployed v\d+/);

      // Nothing stays stuck: every build and release of the app ends once the parts are back.
      await eventually(apiUp, (status) => status === 200, 'the API to answer after the fault', 90_000);
      await eventually(
        async () =>
          sql(
            `SELECT (SELECT count(*) FROM "Build" b JOIN "App" a ON a.id = b."appId" WHERE a.name = '${app}' AND b.status IN ('queued', 'building'))
                  + (SELECT count(*) FROM "Release" r JOIN "Environment" e ON e.id = r."environmentId" JOIN "App" a ON a.id = e."appId"
                     WHERE a.name = '${app}' AND r.status IN ('pending', 'deploying'))`,
          )[0][0],
        (count) => count === '0',
        'every build and release of the app to end',
        120_000,
      );
      // Nothing is lost: the same commit pushed again serves (already deployed, or deployed now).
      const again = await copy!.push(gitUrl(app), 'main');
      expect({ code: again.code, output: again.code === 0 ? '' : `${again.stdout}\n${again.stderr}` }).toEqual({ code: 0, output: '' });
      await eventually(() => body(app), (b) => b === expected, 'the new commit to answer', 60_000);
      const servedAfterSeconds = (Date.now() - startedAt) / 1000;
      // One container for the app's one instance: none orphaned, none doubled.
      const containers = await eventually(async () => containersOfApp(app), (list) => list.length === 1, 'one container for the app', 60_000);
      expect(containers.map((c) => c.running)).toEqual([true]);

      await sleep(1000);
      const { sent, failures } = await load.stop();
      figures.push({ fault: fault.name, moment: fault.moment, pushExit: result.code, requests: sent, failed: failures.length, servedAfterSeconds });
      expect(failures).toEqual([]);
    });
  }
});
