import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaService } from '@berth/db';
import { engineImages, Pushes } from '../support/builds';
import { gitUrl } from '../support/git';
import { ensureBusyboxImage } from '../support/images';
import { eventually, startWholePlatform, WholePlatform } from '../support/runtime';
import { signUp, TestUser, unique } from '../support/users';

jest.setTimeout(180_000);

const imageExists = (name: string) => {
  try {
    execFileSync('podman', ['image', 'exists', name]);
    return true;
  } catch {
    return false;
  }
};

/** An image as another Berth installation sharing this engine would have built it. */
function otherInstallationsImage(labels: Record<string, string>): string {
  const tag = `localhost/berth-test/${unique('other-install')}:1`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-other-'));
  try {
    writeFileSync(join(dir, 'Containerfile'), `FROM ${ensureBusyboxImage()}\nLABEL ${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')} berth.test="app-images"\n`);
    execFileSync('podman', ['build', '--quiet', '--pull=never', '-t', tag, '-f', join(dir, 'Containerfile'), dir], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tag;
}

/**
 * The whole platform with its agent pruning every second: a pushed app's image is on the
 * engine; once the app is deleted, the agent removes it, and leaves alone an image another
 * installation sharing the engine made for an app of the same name and id.
 */
describe("a deleted app's images", () => {
  let whole: WholePlatform;
  let user: TestUser;
  const pushes = new Pushes(() => whole?.platform);
  const strangers: string[] = [];

  beforeAll(async () => {
    whole = await startWholePlatform({ env: { AGENT_PRUNE_SECONDS: '1' } });
    user = await signUp(whole.platform);
  });
  afterAll(async () => {
    for (const tag of strangers) execFileSync('podman', ['rmi', '-f', tag], { stdio: 'ignore' });
    await pushes.cleanup();
    await whole?.stop();
  });

  it('are removed from the engine by the agent; another installation keeps its own', async () => {
    const app = await pushes.app(user, 'gone');
    const copy = await pushes.fixture('static');
    const push = await copy.push(gitUrl(whole.platform, app, user.token), 'main');
    expect(push.code).toBe(0);

    const { id: appId } = await whole.platform.app.get(PrismaService).app.findUniqueOrThrow({ where: { name: app } });
    const built = await engineImages(whole.platform, `berth.app.id=${appId}`);
    expect(built).toHaveLength(1);
    expect(built[0].Labels).toMatchObject({ 'berth.app': app, 'berth.app.id': appId, 'berth.install': whole.platform.config.installId });
    expect(built[0].RepoTags).toEqual([expect.stringMatching(new RegExp(`^localhost/berth/${app}:[0-9a-f]{12}$`))]);

    // Same app name and id, another installation: not this one's to remove.
    const stranger = otherInstallationsImage({ 'berth.app': app, 'berth.app.id': appId, 'berth.install': `another-${randomUUID()}` });
    strangers.push(stranger);

    await whole.platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
    await eventually("the deleted app's image to leave the engine", async () => !imageExists(built[0].RepoTags![0]) && !imageExists(built[0].Id), 60_000);
    expect(imageExists(stranger)).toBe(true);
  });
});
