import type { ImageInfo } from 'dockerode';
import { randomBytes } from 'node:crypto';
import { ContainerEngine } from '@berth/engine';
import { WorkingCopy } from './git';
import type { RunningPlatform } from './platform';
import { createApp, TestUser } from './users';

export interface BuildView {
  id: string;
  environment: string;
  branch: string;
  commitSha: string;
  status: string;
  buildpack: string | null;
  failureReason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  image: { id: string; tag: string; digest: string; sizeBytes: number; processTypes: Record<string, string | null> } | null;
  log?: string;
}

export async function builds(platform: RunningPlatform, user: TestUser, app: string): Promise<BuildView[]> {
  return (await platform.http().get(`/api/apps/${app}/builds`).set(user.auth).expect(200)).body;
}

export async function build(platform: RunningPlatform, user: TestUser, app: string, id: string): Promise<BuildView> {
  return (await platform.http().get(`/api/apps/${app}/builds/${id}`).set(user.auth).expect(200)).body;
}

/** The images the engine holds for an app (every build labels its image with berth.app). */
export async function engineImages(platform: RunningPlatform, label: string): Promise<ImageInfo[]> {
  const engine = platform.app.get(ContainerEngine);
  return engine.api.listImages({ filters: JSON.stringify({ label: [label] }) });
}

/** Removes what a test's apps left in the engine (only images labelled with those apps). */
export async function removeImagesOf(platform: RunningPlatform, apps: string[]): Promise<void> {
  const engine = platform.app.get(ContainerEngine);
  for (const app of apps) {
    for (const image of await engineImages(platform, `berth.app=${app}`)) await engine.api.getImage(image.Id).remove({ force: true }).catch(() => undefined);
  }
}

/** Polls until `probe` returns a value (not undefined/null/false) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs a shell command in a fresh container of an image and returns its output (the container is removed). */
export async function runInImage(platform: RunningPlatform, image: string, command: string, env: string[] = []): Promise<string> {
  const engine = platform.app.get(ContainerEngine);
  const container = await engine.api.createContainer({
    Image: image,
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: [command],
    Env: env,
    Tty: true,
    Labels: { 'berth.test': 'run-in-image' },
    HostConfig: { Memory: 256 * 1024 * 1024 },
  });
  try {
    await container.start();
    await container.wait();
    return (await container.logs({ stdout: true, stderr: true, follow: false })).toString();
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** The id of the layer a Containerfile step produced, from a build log (cached or not). */
export function layerAfterStep(log: string, step: RegExp): string | null {
  const lines = log.split('\n');
  const at = lines.findIndex((line) => /^STEP \d+\/\d+: /.test(line) && step.test(line));
  if (at < 0) return null;
  for (const line of lines.slice(at + 1)) {
    if (/^STEP \d+\/\d+: /.test(line)) return null;
    const cached = /^--> Using cache ([0-9a-f]{64})/.exec(line);
    if (cached) return cached[1].slice(0, 11);
    const built = /^--> ([0-9a-f]{11})\b/.exec(line);
    if (built) return built[1];
  }
  return null;
}

/**
 * What a test pushes: new apps and working copies of fixtures, all removed by `cleanup()`
 * (the apps' images from the engine, the copies from disk).
 */
export class Pushes {
  readonly apps: string[] = [];
  readonly copies: WorkingCopy[] = [];

  constructor(private readonly platform: () => RunningPlatform) {}

  async app(user: TestUser, stem = 'app'): Promise<string> {
    const app = await createApp(this.platform(), user, stem);
    this.apps.push(app);
    return app;
  }

  /** A fixture committed on `branch`; with `nonce`, a fresh ./nonce file so its steps are not cached. */
  async fixture(name: string, options: { branch?: string; nonce?: boolean } = {}): Promise<WorkingCopy> {
    const copy = await WorkingCopy.fromFixture(name, options.branch);
    this.copies.push(copy);
    if (options.nonce) {
      copy.write('nonce', randomBytes(8).toString('hex'));
      await copy.commitAll('fresh nonce');
    }
    return copy;
  }

  track(copy: WorkingCopy): WorkingCopy {
    this.copies.push(copy);
    return copy;
  }

  async cleanup(): Promise<void> {
    const platform = this.platform();
    if (platform) await removeImagesOf(platform, this.apps);
    this.copies.forEach((copy) => copy.remove());
  }
}
