import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaService } from '@berth/db';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp, TestUser } from '../support/users';
import {
  deploy,
  disksOf,
  ensureWebImage,
  eventually,
  FAST,
  getFrom,
  isolatedCluster,
  PROCESS_TYPES,
  removeContainersOf,
  sleep,
  startAgent,
  TestAgent,
} from '../support/runtime';

jest.setTimeout(180_000);

const MiB = 1024 * 1024;
const LOG_MAX_MB = 1;

interface InstanceView {
  id: string;
  release: number;
  healthy: boolean;
  diskMb: number;
}

/**
 * What a tenant can do to the host's disk: fill its own disk (ENOSPC inside, nothing outside),
 * write to the root file system (read-only) or flood its output (the engine keeps a capped
 * log). One agent on this machine's engine; the api and scheduler run in this process.
 */
describe('disk quotas and capped logs', () => {
  let platform: RunningPlatform;
  let agent: TestAgent;
  let user: TestUser;
  let db: PrismaService;
  let one: string;
  let cluster: Awaited<ReturnType<typeof isolatedCluster>>;
  // Disks and their templates are made here (one-off runs by the api, instances by the agent).
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-disks-'));

  const base = (app: string) => `/api/apps/${app}/environments/production`;
  const instances = async (app: string): Promise<InstanceView[]> => (await platform.http().get(`${base(app)}/instances`).set(user.auth).expect(200)).body;
  const healthy = (app: string, release: number) =>
    eventually(`v${release} of ${app} to be healthy alone`, async () => {
      const list = await instances(app);
      return list.length === 1 && list[0].release === release && list[0].healthy && list[0];
    });
  const serve = async (instanceId: string, path = '/') => {
    const row = await db.instance.findUniqueOrThrow({ where: { id: instanceId }, include: { host: true } });
    return getFrom(row.host!.address, row.hostPort!, path);
  };
  const containerOf = async (instanceId: string) => (await db.instance.findUniqueOrThrow({ where: { id: instanceId } })).containerId!;
  const run = async (app: string, command: string) => (await platform.http().post(`${base(app)}/run`).set(user.auth).send({ command }).expect(200)).text;
  const diskKb = (text: string) => Number(/disk kb (\d+)/.exec(text)?.[1]);
  const loopDevices = () => execFileSync('losetup', ['-a']).toString();

  beforeAll(async () => {
    one = ensureWebImage('one');
    cluster = await isolatedCluster();
    platform = await startPlatform(['api', 'scheduler'], { ...FAST, ...cluster.env, BERTH_DATA_DIR: dataDir });
    db = platform.app.get(PrismaService);
    agent = await startAgent({ memoryMb: 1024, cpu: 2, env: { ...cluster.env, AGENT_LOG_MAX_MB: String(LOG_MAX_MB), BERTH_DATA_DIR: dataDir } });
    user = await signUp(platform);
  });
  afterAll(async () => {
    await agent?.stop().catch(() => undefined);
    if (agent) removeContainersOf([agent.name]);
    await platform?.close();
    await cluster?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails writes past an instance disk with ENOSPC inside it; the neighbour keeps answering and the host keeps the rest', async () => {
    const neighbour = await createApp(platform, user, 'quiet');
    await deploy(platform, neighbour, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const calm = await healthy(neighbour, 1);
    const filler = await createApp(platform, user, 'filler');
    await deploy(platform, filler, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const patched = await platform.http().patch(`${base(filler)}/formation`).set(user.auth).send({ web: { diskMb: 64 } }).expect(200);
    expect(patched.body.web).toMatchObject({ diskMb: 64 });
    const instance = await healthy(filler, 2);
    expect(instance.diskMb).toBe(64);

    const failures: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const res = await serve(calm.id).catch((error: Error) => ({ status: 0, text: error.message }));
        if (res.status !== 200) failures.push(`${res.status} ${res.text}`);
        await sleep(100);
      }
    })();
    let text: string;
    try {
      text = (await serve(instance.id, '/cgi-bin/fill?200')).text;
    } finally {
      watching = false;
      await watch;
    }
    expect(text).toContain('disk exit 1');
    expect(text).toMatch(/No space left on device/);
    expect(text).toMatch(/Read-only file system/);
    expect(text).toContain('rootfs refused');
    expect(diskKb(text)).toBeLessThanOrEqual(64 * 1024);
    expect(diskKb(text)).toBeGreaterThan(48 * 1024);
    expect(failures).toEqual([]);
    expect((await serve(calm.id)).text).toBe('one\n');
    expect((await serve(instance.id)).text).toBe('one\n');

    // On the host: the disk's file holds at most its 64 MB, and the container's own layer on
    // the host's file system stayed empty.
    const [disk] = disksOf(`berth.instance=${instance.id}`);
    expect(disk.file.startsWith('/')).toBe(true);
    expect(statSync(disk.file).blocks * 512).toBeLessThanOrEqual(64 * MiB);
    const container = await containerOf(instance.id);
    const sizeRw = Number(execFileSync('podman', ['container', 'inspect', '--size', '--format', '{{.SizeRw}}', container]).toString().trim());
    expect(sizeRw).toBeLessThan(MiB);

    // Deleting the app leaves no volume, file or loop device behind.
    await platform.http().delete(`/api/apps/${filler}`).set(user.auth).expect(204);
    await eventually('the disk to be removed', async () => disksOf(`berth.instance=${instance.id}`).length === 0 && !existsSync(disk.file));
    await eventually('its loop device to be released', async () => !loopDevices().includes(disk.file));
    expect(readdirSync(join(dataDir, 'disks')).filter((file) => file.endsWith('.img'))).toEqual([`berth-${agent.name}-${calm.id}-disk.img`]);
    await platform.http().delete(`/api/apps/${neighbour}`).set(user.auth).expect(204);
  });

  it('sizes the disk of instances and one-off runs from the formation, and starts each container with a fresh one', async () => {
    const app = await createApp(platform, user, 'sized');
    await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.web } });
    const v1 = await healthy(app, 1);
    expect(v1.diskMb).toBe(1024);
    expect(diskKb((await serve(v1.id, '/cgi-bin/fill?1')).text)).toBeGreaterThan(900 * 1024);

    await platform.http().patch(`${base(app)}/formation`).set(user.auth).send({ web: { diskMb: 128 } }).expect(200);
    const v2 = await healthy(app, 2);
    const fromInstance = (await serve(v2.id, '/cgi-bin/fill?1')).text;
    expect(fromInstance).toContain('disk exit 0');
    expect(diskKb(fromInstance)).toBeLessThanOrEqual(128 * 1024);
    expect(diskKb(fromInstance)).toBeGreaterThan(100 * 1024);

    const ran = await run(app, 'ls /app; dd if=/dev/zero of=/app/fill bs=1M count=200 2>&1; echo "dd exit $?"; df -k /app | tail -n 1 | awk \'{ print "disk kb", $2 }\'');
    expect(ran).not.toContain('fill\n'); // a fresh disk, not the instance's
    expect(ran).toMatch(/No space left on device/);
    expect(ran).toContain('dd exit 1');
    expect(diskKb(ran)).toBeLessThanOrEqual(128 * 1024);
    expect(diskKb(ran)).toBeGreaterThan(100 * 1024);
    // The run's container and its disk are gone; only the instance's disk is left.
    await eventually('the run to leave no disk', async () => disksOf(`berth.app=${app}`).every((disk) => !disk.volume.startsWith('berth-run-')));
    expect(disksOf(`berth.app=${app}`).map((disk) => disk.volume)).toEqual([`berth-${agent.name}-${v2.id}-disk`]);

    await platform.http().patch(`${base(app)}/formation`).set(user.auth).send({ web: { diskMb: 10 } }).expect(400);
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
  });

  it(`keeps at most AGENT_LOG_MAX_MB of a flooding container's output on the host while it keeps running`, async () => {
    const app = await createApp(platform, user, 'loud');
    await deploy(platform, app, { tag: one, processTypes: { web: PROCESS_TYPES.flood } });
    const instance = await healthy(app, 1);
    const container = await containerOf(instance.id);
    const logPath = execFileSync('podman', ['inspect', '--format', '{{.HostConfig.LogConfig.Path}}', container]).toString().trim();
    expect(logPath.startsWith('/')).toBe(true);
    const sizes: number[] = [];
    for (let i = 0; i < 16; i++) {
      sizes.push(statSync(logPath).size);
      await sleep(250);
    }
    // It does flood (the file fills and is cut back), and never holds more than the cap.
    expect(Math.max(...sizes)).toBeGreaterThan(100 * 1024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(LOG_MAX_MB * MiB);
    expect(execFileSync('podman', ['inspect', '--format', '{{.State.Running}}', container]).toString().trim()).toBe('true');
    expect((await serve(instance.id)).text).toBe('one\n');
    await platform.http().delete(`/api/apps/${app}`).set(user.auth).expect(204);
  });
});
