import { builds, build, Pushes } from '../support/builds';
import { gitUrl } from '../support/git';
import { RunningPlatform, startPlatform } from '../support/platform';
import { signUp, TestUser } from '../support/users';

jest.setTimeout(180_000);

/**
 * What a build step may write is bounded (BUILD_MAX_WRITE_MB): the engine's storage on this
 * host has no size option, so a step writing without end filled the host's disk. A step past
 * the limit is stopped and the push fails saying why; a step under it builds as usual.
 */
describe('build disk quota', () => {
  let platform: RunningPlatform;
  let user: TestUser;
  const pushes = new Pushes(() => platform);

  beforeAll(async () => {
    platform = await startPlatform(['api', 'builder'], { GIT_PUSH_DEPLOY_WAIT_SECONDS: '0', BUILD_MAX_WRITE_MB: '64' });
    user = await signUp(platform);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await platform?.close();
  });

  it('stops a step that writes past the limit, and lets one under it build', async () => {
    const app = await pushes.app(user, 'disk');
    const copy = await pushes.fixture('static', { nonce: true });
    copy.write(
      'Dockerfile',
      [
        'FROM localhost/berth/stack:bookworm-2',
        'USER root',
        'COPY nonce /nonce',
        'RUN dd if=/dev/zero of=/small bs=1M count=16 status=none && echo "SMALL STEP DONE"',
        'RUN dd if=/dev/zero of=/big bs=1M count=400 status=none && echo "BIG STEP WROTE" && sleep 30',
        '',
      ].join('\n'),
    );
    await copy.commitAll('writes too much');
    const push = await copy.push(gitUrl(platform, app, user.token), 'main');
    const [only] = await builds(platform, user, app);
    const log = (await build(platform, user, app, only.id)).log ?? '';
    expect(log).toContain('SMALL STEP DONE');
    expect(only).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/^A build step wrote more than 64 MB \(BUILD_MAX_WRITE_MB\) and was stopped/) });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('BUILD_MAX_WRITE_MB');
  });
});
