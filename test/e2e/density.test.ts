import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Pushes } from '../support/builds';
import { containersOfApp } from '../support/fullstack';
import { gitUrl } from '../support/git';
import { get } from '../support/router';
import { eventually, startWholePlatform, WholePlatform } from '../support/runtime';
import { signUp, TestUser } from '../support/users';

// The Node.js build downloads Node.js and packages from the npm registry on a cold machine.
jest.setTimeout(300_000);

interface InstanceView {
  id: string;
  release: number;
  healthy: boolean;
}

/** A container's cgroup v1 directory for one controller, found from its main process as the host sees it. */
function cgroupDir(containerId: string, controller: 'cpu' | 'memory'): string {
  const pid = execFileSync('podman', ['inspect', '--format', '{{.State.Pid}}', containerId]).toString().trim();
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(controller))!;
  const mount = controller === 'cpu' ? '/sys/fs/cgroup/cpu' : '/sys/fs/cgroup/memory';
  return `${mount}${line.split(':')[2]}`;
}

/** Every process of a container as the engine lists them: its command line each. */
function processesOf(containerId: string): string[] {
  return execFileSync('podman', ['top', containerId, 'args']).toString().trim().split('\n').slice(1).map((line) => line.trim());
}

/**
 * A small host full of small apps: one platform with one agent declaring 2 CPUs and 1 GiB, a
 * pushed Node.js app, then 8 instances of it at the default size (256 MB and 0.5 CPU each: 2
 * GiB and 4 CPUs of limits), which book only their requests (32 MB and 3 millicores each).
 */
describe('density on a 2-CPU host', () => {
  let stack: WholePlatform;
  let user: TestUser;
  let app: string;
  const pushes = new Pushes(() => stack.platform);

  beforeAll(async () => {
    // Half the memory limits of 8 default instances (256 MB each): their requests (32 MB each) fit.
    stack = await startWholePlatform({ memoryMb: 1024, cpu: 2 });
    user = await signUp(stack.platform);
    app = await pushes.app(user, 'dense');
    const copy = await pushes.fixture('node-npm');
    const push = await copy.push(gitUrl(stack.platform, app, user.token), 'main');
    expect(push.code).toBe(0);
  });
  afterAll(async () => {
    await pushes.cleanup();
    await stack?.stop();
  });

  const base = () => `/api/apps/${app}/environments/production`;
  const viaRouter = () => get(stack.routerPort, `${app}.localhost:${stack.routerPort}`);
  const healthy = (version: number, count: number) =>
    eventually(`${count} healthy instance(s) of v${version}`, async () => {
      const list: InstanceView[] = (await stack.platform.http().get(`${base()}/instances`).set(user.auth).expect(200)).body;
      return list.filter((i) => i.release === version && i.healthy).length === count && list.every((i) => i.release === version) && list;
    }, 120_000);

  it('runs the Node.js web process without npm: node is the only process beside the init, and the app answers', async () => {
    await healthy(1, 1);
    expect((await viaRouter()).body).toMatch(/^node-npm 1 on node v24\.\d+\.\d+: built with ms 2m, 1m\n$/);
    const [container] = containersOfApp(app);
    const processes = processesOf(container.id);
    expect(processes.filter((args) => /\bnpm\b/.test(args))).toEqual([]);
    // The init (podman's catatonit) and node itself: the shell exec'd node, npm never ran.
    expect(processes.filter((args) => !args.startsWith('/run/podman-init'))).toEqual(['node server.js']);
    const memory = Number(readFileSync(`${cgroupDir(container.id, 'memory')}/memory.usage_in_bytes`, 'utf8'));
    console.log(`density: an awake Node.js hello-world uses ${(memory / 1024 / 1024).toFixed(1)} MiB in its cgroup (memory.usage_in_bytes)`);
  });

  it('runs 8 default web instances, 2 GiB and 4 CPUs of limits, on the 1 GiB, 2-CPU host, sharing CPU by their requests', async () => {
    const res = await stack.platform.http().patch(`${base()}/formation`).set(user.auth).send({ web: { quantity: 8 } }).expect(200);
    expect(res.body.web).toMatchObject({ quantity: 8, memoryMb: 256, cpu: 0.5, memoryRequestMb: 32, cpuRequest: 0.003 });
    await healthy(2, 8);
    expect((await viaRouter()).status).toBe(200);

    const running = containersOfApp(app).filter((c) => c.running && c.release === 'v2');
    expect(running).toHaveLength(8);
    for (const container of running) {
      // The engine was asked for shares in proportion to the request (3 millicores × 1024 / 1000)...
      expect(execFileSync('podman', ['inspect', '--format', '{{.HostConfig.CpuShares}}', container.id]).toString().trim()).toBe('3');
      // ...and the kernel has them, beside the quota of the limit.
      const cpu = cgroupDir(container.id, 'cpu');
      expect(readFileSync(`${cpu}/cpu.shares`, 'utf8').trim()).toBe('3');
      expect(readFileSync(`${cpu}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('50000');
    }
  });
});
