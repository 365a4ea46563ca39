import { PrismaService } from '@berth/db';
import { BuildReleaser, BuildReleaseSweep, DeployFollower, ReleasesService } from '@berth/releases';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';
import { insertImage } from '../support/runtime';

/** Releases and formations through the API; no scheduler runs, so nothing is rolled out here. */
describe('releases and formation', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  let db: PrismaService;
  let releases: ReleasesService;
  const processTypes = { web: 'httpd -f -p $PORT', worker: 'sh worker.sh' };

  beforeAll(async () => {
    platform = await startPlatform(['api']);
    db = platform.app.get(PrismaService);
    releases = platform.app.get(ReleasesService);
    user = await signUp(platform);
  });
  afterAll(async () => platform.close());

  /** An app with one image released as v1 (what a successful build does). */
  async function released(envName = 'production') {
    const app = await createApp(platform, user, 'rel');
    const { environment, image } = await insertImage(db, app, { tag: 'localhost/none:1', processTypes, envName });
    await releases.deployImage({ environmentId: environment.id, imageId: image.id, createdById: null });
    return { app, base: `/api/apps/${app}/environments/${envName}`, environment, image };
  }

  it('makes v1 from a build with one web process and the defaults', async () => {
    const { base, image } = await released();
    const list = await platform.http().get(`${base}/releases`).set(user.auth).expect(200);
    expect(list.body).toEqual([
      expect.objectContaining({ version: 1, status: 'pending', current: false, description: `Deploy ${image.commitSha.slice(0, 7)}`, image: { id: image.id, digest: image.digest, commitSha: image.commitSha } }),
    ]);
    const formation = await platform.http().get(`${base}/formation`).set(user.auth).expect(200);
    expect(formation.body).toEqual({
      // Requests (what an instance books) default to an eighth of the memory limit and a two-hundredth of the CPU quota (2.5 millicores, rounded).
      web: { quantity: 1, memoryMb: 256, cpu: 0.5, pidsLimit: 256, diskMb: 1024, memoryRequestMb: 32, cpuRequest: 0.003, command: processTypes.web },
      worker: { quantity: 0, memoryMb: 256, cpu: 0.5, pidsLimit: 256, diskMb: 1024, memoryRequestMb: 32, cpuRequest: 0.003, command: processTypes.worker },
    });
  });

  it('scales and resizes with a new release; refuses unknown process types and sizes over the limits', async () => {
    const { base } = await released();
    const res = await platform.http().patch(`${base}/formation`).set(user.auth).send({ web: { quantity: 3, memoryMb: 192, cpu: 0.25 } }).expect(200);
    expect(res.body.web).toEqual({ quantity: 3, memoryMb: 192, cpu: 0.25, pidsLimit: 256, diskMb: 1024, memoryRequestMb: 24, cpuRequest: 0.001, command: processTypes.web });
    await platform.http().patch(`${base}/formation`).set(user.auth).send({ worker: { quantity: 2 } }).expect(200);
    const requests = await platform.http().patch(`${base}/formation`).set(user.auth).send({ web: { memoryRequestMb: 128, cpuRequest: 0.1 } }).expect(200);
    expect(requests.body.web).toMatchObject({ memoryMb: 192, cpu: 0.25, memoryRequestMb: 128, cpuRequest: 0.1 });
    const over = await platform.http().patch(`${base}/formation`).set(user.auth).send({ web: { memoryRequestMb: 512 } }).expect(400);
    expect(over.body.fields).toEqual({ 'web.memoryRequestMb': 'must be at most memoryMb, the limit (192 MB)' });
    const list = (await platform.http().get(`${base}/releases`).set(user.auth).expect(200)).body;
    expect(list.map((r: { description: string }) => r.description).slice(0, 3)).toEqual(['Change the requests of web', 'Scale worker to 2', 'Resize web 3 × 192 MB, 0.25 CPU']);
    expect(list[0].formation.web).toMatchObject({ quantity: 3, memoryMb: 192 });

    const unknown = await platform.http().patch(`${base}/formation`).set(user.auth).send({ clock: { quantity: 1 } }).expect(400);
    expect(unknown.body.fields.clock).toMatch(/not a process type of this release \(it has: web, worker\)/);
    const big = await platform.http().patch(`${base}/formation`).set(user.auth).send({ web: { memoryMb: 100000, cpu: 64, quantity: 500 } }).expect(400);
    expect(big.body.fields).toEqual({
      'web.memoryMb': 'must be at most 4096 MB (the limit of this installation)',
      'web.cpu': 'must be at most 4 cores (the limit of this installation)',
      'web.quantity': 'must be at most 20 (the limit of this installation)',
    });
    // Refused changes make no release; neither does a change to what is already there.
    await platform.http().patch(`${base}/formation`).set(user.auth).send({ web: { quantity: 3 } }).expect(200);
    expect((await platform.http().get(`${base}/releases`).set(user.auth).expect(200)).body).toHaveLength(4);
  });

  it('tells a push that waited in vain what its release waits for', async () => {
    const app = await createApp(platform, user, 'nosched');
    const { build } = await insertImage(db, app, { tag: 'localhost/none:1', processTypes });
    const made = await platform.app.get(BuildReleaser).release(build.id);
    expect(made).toMatchObject({ made: true, release: { version: 1, buildId: build.id } });
    const follower = platform.app.get(DeployFollower);
    // No scheduler role runs in this test (one of another test file may be about).
    expect(await follower.follow(made.release!.id, async () => undefined, { waitMs: 1000 })).toEqual({
      outcome: 'waiting',
      message: expect.stringMatching(/^Release v1 (is queued: no scheduler has taken it in 1 s|is still queued after 1 s|waits for room on a host: )/),
    });
  });

  describe('releasing succeeded builds', () => {
    /** A succeeded build of a new image, as the builder leaves it, `agoMs` ago. */
    async function finishedBuild(app: string, agoMs: number) {
      const made = await insertImage(db, app, { tag: 'localhost/none:1', processTypes });
      const at = new Date(Date.now() - agoMs);
      await db.build.update({ where: { id: made.build.id }, data: { createdAt: at, finishedAt: at } });
      return made;
    }

    it('releases a build whose push died exactly once, with two processes sweeping and releasing at once', async () => {
      const other = await startPlatform(['api']);
      try {
        const app = await createApp(platform, user, 'orphan');
        const { build, environment, image } = await finishedBuild(app, 60_000);
        const releasers = [platform, other].map((p) => p.app.get(BuildReleaser));
        const sweeps = [platform, other].map((p) => p.app.get(BuildReleaseSweep));
        const [, , first, second] = await Promise.all([sweeps[0].sweep(0), sweeps[1].sweep(0), releasers[0].release(build.id), releasers[1].release(build.id)]);

        const rows = await db.release.findMany({ where: { environmentId: environment.id } });
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ version: 1, buildId: build.id, imageId: image.id });
        expect([first.release?.id, second.release?.id]).toEqual([rows[0].id, rows[0].id]);
        // Later passes find nothing left to release.
        await Promise.all(sweeps.map((sweep) => sweep.sweep(0)));
        expect(await db.release.count({ where: { environmentId: environment.id } })).toBe(1);
      } finally {
        await other.close();
      }
    });

    it('does not release an older build once a newer push of the environment was released', async () => {
      const app = await createApp(platform, user, 'regress');
      const older = await finishedBuild(app, 120_000);
      const newer = await finishedBuild(app, 60_000);
      expect(await platform.app.get(BuildReleaser).release(newer.build.id)).toMatchObject({ made: true, release: { version: 1 } });

      await platform.app.get(BuildReleaseSweep).sweep(0);
      const rows = await db.release.findMany({ where: { environmentId: newer.environment.id } });
      expect(rows.map((r) => [r.version, r.buildId])).toEqual([[1, newer.build.id]]);
      expect(await platform.app.get(BuildReleaser).release(older.build.id)).toEqual({
        release: null,
        reason: `a newer push (${newer.image.commitSha.slice(0, 7)}) of this environment was released first, as v1`,
      });
    });

    it('leaves builds that were released from their image alone', async () => {
      const app = await createApp(platform, user, 'byimage');
      const { build, environment, image } = await finishedBuild(app, 60_000);
      await releases.deployImage({ environmentId: environment.id, imageId: image.id, createdById: null });
      await platform.app.get(BuildReleaseSweep).sweep(0);
      expect(await db.release.count({ where: { environmentId: environment.id } })).toBe(1);
      expect(await db.release.count({ where: { buildId: build.id } })).toBe(0);
    });
  });

  it('fails a release whose release phase lost the process running it, and leaves one still in time alone', async () => {
    const { environment } = await released();
    const v1 = await db.release.findFirstOrThrow({ where: { environmentId: environment.id, version: 1 } });
    // Begun long before RELEASE_PHASE_TIMEOUT_SECONDS (900 s by default) and never ended: its process died.
    await db.release.update({ where: { id: v1.id }, data: { status: 'deploying', releasePhaseStartedAt: new Date(Date.now() - 3600_000) } });
    const fresh = await releases.deployImage({ environmentId: environment.id, imageId: v1.imageId!, createdById: null });
    await db.release.update({ where: { id: fresh!.id }, data: { status: 'deploying', releasePhaseStartedAt: new Date() } });

    expect(await platform.app.get(BuildReleaseSweep).failReleasePhasesLeftRunning()).toBeGreaterThanOrEqual(1);
    expect(await db.release.findUniqueOrThrow({ where: { id: v1.id } })).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/^the release command was interrupted .*redeploy$/) });
    expect(await db.release.findUniqueOrThrow({ where: { id: fresh!.id } })).toMatchObject({ status: 'deploying', failureReason: null });
  });

  it('gives previews smaller defaults', async () => {
    const app = await createApp(platform, user, 'prev');
    const appRow = await db.app.findUniqueOrThrow({ where: { name: app } });
    await db.environment.create({ data: { appId: appRow.id, name: 'feature-x', kind: 'preview', branch: 'feature/x' } });
    const { base } = { base: `/api/apps/${app}/environments/feature-x` };
    const { environment, image } = await insertImage(db, app, { tag: 'localhost/none:1', processTypes, envName: 'feature-x' });
    await releases.deployImage({ environmentId: environment.id, imageId: image.id, createdById: null });
    expect((await platform.http().get(`${base}/formation`).set(user.auth).expect(200)).body.web).toMatchObject({ memoryMb: 128, cpu: 0.25 });
  });

  it('cannot scale before the first image', async () => {
    const app = await createApp(platform, user, 'empty');
    const res = await platform.http().patch(`/api/apps/${app}/environments/production/formation`).set(user.auth).send({ web: { quantity: 2 } }).expect(409);
    expect(res.body.message).toMatch(/Push code first/);
    // A config change before the first image makes no release either: the first build snapshots it.
    await platform.http().patch(`/api/apps/${app}/environments/production/config`).set(user.auth).send({ A: '1' }).expect(200);
    expect((await platform.http().get(`/api/apps/${app}/environments/production/releases`).set(user.auth).expect(200)).body).toEqual([]);
  });

  it('gives concurrent config changes distinct, consecutive versions; the newest has every change', async () => {
    const { base, environment } = await released();
    const keys = Array.from({ length: 8 }, (_, i) => `KEY_${i}`);
    await Promise.all(keys.map((key) => platform.http().patch(`${base}/config`).set(user.auth).send({ [key]: key.toLowerCase() }).expect(200)));
    const list = (await platform.http().get(`${base}/releases`).set(user.auth).expect(200)).body;
    expect(list.map((r: { version: number }) => r.version)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(list.slice(0, 8).map((r: { description: string }) => r.description).sort()).toEqual(keys.map((k) => `Set ${k}`));
    const newest = await db.release.findFirstOrThrow({ where: { environmentId: environment.id }, orderBy: { version: 'desc' } });
    expect(Object.keys(releases.openConfig(newest)).sort()).toEqual(keys);
    // The snapshot is stored encrypted.
    expect(newest.configEncrypted).not.toContain('key_0');
  });

  it('writes a config change and its release together, or neither', async () => {
    const { base, environment } = await released();
    await platform.http().patch(`${base}/config`).set(user.auth).send({ A: '1' }).expect(200);
    // The database refuses this environment's next release, as a full disk or a lost connection would.
    const refuse = `berth_test_refuse_${environment.id.replace(/-/g, '')}`;
    await db.$executeRawUnsafe(
      `CREATE FUNCTION ${refuse}() RETURNS trigger AS $$ BEGIN IF NEW."environmentId" = '${environment.id}' THEN RAISE EXCEPTION 'release refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
    );
    await db.$executeRawUnsafe(`CREATE TRIGGER ${refuse} BEFORE INSERT ON "Release" FOR EACH ROW EXECUTE FUNCTION ${refuse}()`);
    try {
      const res = await platform.http().patch(`${base}/config`).set(user.auth).send({ A: '2', B: '3' });
      expect(res.status).toBeGreaterThanOrEqual(500);
    } finally {
      await db.$executeRawUnsafe(`DROP TRIGGER ${refuse} ON "Release"`);
      await db.$executeRawUnsafe(`DROP FUNCTION ${refuse}()`);
    }
    expect((await platform.http().get(`${base}/config`).set(user.auth).expect(200)).body).toEqual({ A: '1' });
    expect(await db.release.count({ where: { environmentId: environment.id } })).toBe(2);
  });

  it('describes set and unset together, and rolls back only to a version that served', async () => {
    const { app, base } = await released();
    await platform.http().patch(`${base}/config`).set(user.auth).send({ A: '1', B: '2' }).expect(200);
    await platform.http().patch(`${base}/config`).set(user.auth).send({ C: '3', A: null }).expect(200);
    const list = (await platform.http().get(`${base}/releases`).set(user.auth).expect(200)).body;
    expect(list[0].description).toBe('Set C; unset A');
    expect(list[0].createdBy).toBe(user.email);
    await platform.http().post(`${base}/releases/v9/rollback`).set(user.auth).expect(404);
    await platform.http().post(`${base}/releases/nope/rollback`).set(user.auth).expect(404);
    // No scheduler runs here: v2 never served, and is not offered.
    const early = await platform.http().post(`${base}/releases/2/rollback`).set(user.auth).expect(409);
    expect(early.body).toMatchObject({ code: 'release_never_served', message: expect.stringMatching(/^Release v2 never served \(it is still deploying\)/) });
    expect(list.find((r: { version: number }) => r.version === 2).served).toBe(false);
    // As the scheduler leaves them: v2 served and was replaced by v3, which never served (failed).
    await db.release.updateMany({ where: { environment: { app: { name: app } }, version: 2 }, data: { status: 'superseded' } });
    await db.release.updateMany({ where: { environment: { app: { name: app } }, version: 3 }, data: { status: 'failed', failureReason: 'web.1 exited with code 1' } });
    expect((await platform.http().post(`${base}/releases/3/rollback`).set(user.auth).expect(409)).body.message).toMatch(/^Release v3 never served \(it failed\)/);
    const served = (await platform.http().get(`${base}/releases`).set(user.auth).expect(200)).body;
    expect(served.map((r: { version: number; served: boolean }) => [r.version, r.served])).toEqual([[3, false], [2, true], [1, false]]);
    const rolled = await platform.http().post(`${base}/releases/2/rollback`).set(user.auth).expect(201);
    expect(rolled.body).toMatchObject({ version: 4, description: 'Rollback to v2' });
    expect((await platform.http().get(`${base}/config`).set(user.auth).expect(200)).body).toEqual({ A: '1', B: '2' });
  });

  it('redeploys the newest release as a new one, and only the newest', async () => {
    const { base } = await released();
    await platform.http().patch(`${base}/config`).set(user.auth).send({ A: '1' }).expect(200);
    const again = await platform.http().post(`${base}/releases/v2/redeploy`).set(user.auth).expect(201);
    expect(again.body).toMatchObject({ version: 3, description: 'Redeploy of v2', createdBy: user.email });
    const list = (await platform.http().get(`${base}/releases`).set(user.auth).expect(200)).body;
    expect(list[0].image).toEqual(list[1].image);
    expect(list[0].formation).toEqual(list[1].formation);
    expect((await platform.http().get(`${base}/config`).set(user.auth).expect(200)).body).toEqual({ A: '1' });
    const older = await platform.http().post(`${base}/releases/v1/redeploy`).set(user.auth).expect(409);
    expect(older.body.message).toMatch(/not the newest.*rollback/);
    await platform.http().post(`${base}/releases/v9/redeploy`).set(user.auth).expect(404);
    const viewer = await signUp(platform, 'redeploy-viewer');
    await platform.http().post(`/api/teams/${user.team}/members`).set(user.auth).send({ email: viewer.email, role: 'viewer' }).expect(201);
    await platform.http().post(`${base}/releases/v3/redeploy`).set(viewer.auth).expect(403);
    const stranger = await signUp(platform, 'redeploy-stranger');
    await platform.http().post(`${base}/releases/v3/redeploy`).set(stranger.auth).expect(404);
  });

  it('shows releases, formation and instances only to the team; changes need the member role', async () => {
    const { app, base } = await released();
    const stranger = await signUp(platform, 'stranger');
    for (const path of ['releases', 'formation', 'instances']) await platform.http().get(`${base}/${path}`).set(stranger.auth).expect(404);
    await platform.http().patch(`${base}/formation`).set(stranger.auth).send({ web: { quantity: 2 } }).expect(404);
    await platform.http().post(`${base}/releases/1/rollback`).set(stranger.auth).expect(404);

    const viewer = await signUp(platform, 'viewer');
    await platform.http().post(`/api/teams/${user.team}/members`).set(user.auth).send({ email: viewer.email, role: 'viewer' }).expect(201);
    await platform.http().get(`${base}/releases`).set(viewer.auth).expect(200);
    await platform.http().get(`${base}/instances`).set(viewer.auth).expect(200);
    await platform.http().patch(`${base}/formation`).set(viewer.auth).send({ web: { quantity: 2 } }).expect(403);
    await platform.http().post(`${base}/releases/1/rollback`).set(viewer.auth).expect(403);
    await platform.http().post(`${base}/run`).set(viewer.auth).send({ command: 'true' }).expect(403);
    expect(app).toBeTruthy();
  });
});
