import type { ContainerCreateOptions } from 'dockerode';

/** The port every process listens on inside its container ($PORT); each container has its own network namespace. */
export const CONTAINER_PORT = 5000;

/** Labels on every container Berth runs; `berth.host` keeps agents that share an engine off each other's containers. */
export const LABELS = {
  app: 'berth.app',
  env: 'berth.env',
  release: 'berth.release',
  process: 'berth.process',
  instance: 'berth.instance',
  host: 'berth.host',
  /** The install (config.installId) whose agent made it: installs sharing an engine and a host name keep apart. */
  install: 'berth.install',
  oneOff: 'berth.run',
} as const;

export interface ContainerLimits {
  memoryMb: number;
  cpuMillis: number;
  pidsLimit: number;
}

/** Where the app writes: its disk (an ext4 file system of `diskMb`) and small in-memory directories. */
export interface ContainerDisk {
  /** The engine volume InstanceDisks made for this container. */
  volume: string;
  /** The image's working directory (its files are copied onto the disk when it is first mounted). */
  target: string;
  sizeMb: number;
}

export interface ContainerSecurity {
  /** user[:group] for images that name no user (or root). */
  defaultUser: string;
  ulimits: { nofile: { soft: number; hard: number }; nproc: { soft: number; hard: number } };
}

export interface ContainerRequest {
  name: string;
  image: string;
  /** The image's own user (Config.User); empty or root means defaultUser. */
  imageUser: string;
  /** A Procfile command, run with sh -c so `$PORT` and friends expand; null runs the image's own command. */
  command: string | null;
  env: Record<string, string>;
  labels: Record<string, string>;
  limits: ContainerLimits;
  /** What the instance books (its CPU request); sets its cpu.shares. Defaults to the CPU limit. */
  cpuRequestMillis?: number;
  security: ContainerSecurity;
  /** Publish CONTAINER_PORT on this address, at a port the engine picks. */
  publishOn?: string;
  /** The app's own isolated network (AppNetworks); the engine's default network otherwise. */
  network?: string;
  disk: ContainerDisk;
  /** The engine keeps at most this much of the container's output on the host. */
  logMaxMb: number;
}

/** In-memory directories of the read-only root file system; their pages count against the memory limit. */
export const SCRATCH_DIRS = ['/tmp', '/var/tmp', '/run'] as const;

/** Where an image's disk is mounted: its working directory, or /app when it has none. */
export function diskTarget(workingDir: string | undefined): string {
  const dir = (workingDir ?? '').replace(/\/+$/, '');
  return dir.startsWith('/') && !(SCRATCH_DIRS as readonly string[]).includes(dir) ? dir : '/app';
}

/** /tmp may hold half the memory limit, /var/tmp and /run a little; past that, writes fail with ENOSPC. */
export function scratchSizesMb(memoryMb: number): Record<(typeof SCRATCH_DIRS)[number], number> {
  const small = Math.max(1, Math.min(16, Math.floor(memoryMb / 8)));
  return { '/tmp': Math.max(1, Math.floor(memoryMb / 2)), '/var/tmp': small, '/run': small };
}

const isRoot = (user: string) => user === '' || /^(root|0)(:.*)?$/.test(user);

/**
 * cgroup v1 cpu.shares for a CPU request: 1024 per core, as Kubernetes does, so under contention
 * each container gets CPU time in proportion to what it booked (the kernel's minimum is 2).
 */
export function cpuShares(cpuRequestMillis: number): number {
  return Math.max(2, Math.round((cpuRequestMillis * 1024) / 1000));
}

/**
 * How Berth runs a tenant's process: its memory limit with no swap on top, a CPU quota, CPU
 * shares in proportion to its CPU request, a
 * pids limit, rlimits within the host's, no capabilities at all (apps run as a non-root user
 * and listen on a high port, so they need none; no-new-privileges keeps setuid binaries from
 * gaining any), an init that forwards signals and reaps zombies, and nothing but its own
 * config plus PORT in the environment, on its app's own network. Its root file system is
 * read-only: it writes to its own disk of a fixed size at its working directory, and to small
 * in-memory /tmp, /var/tmp and /run; past those, writes fail with ENOSPC and the host's disk
 * is untouched. The engine keeps at most `logMaxMb` of its output.
 */
export function containerSpec(request: ContainerRequest): ContainerCreateOptions {
  const memory = request.limits.memoryMb * 1024 * 1024;
  const { nofile, nproc } = request.security.ulimits;
  // HOME on the disk, as Heroku has it (/app): the image's own home is on the read-only root. Config may set another.
  const env = { HOME: request.disk.target, ...request.env, PORT: String(CONTAINER_PORT) };
  const port = `${CONTAINER_PORT}/tcp`;
  return {
    name: request.name,
    Image: request.image,
    ...(request.command === null ? {} : { Cmd: ['/bin/sh', '-c', request.command] }),
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    User: isRoot(request.imageUser) ? request.security.defaultUser : request.imageUser,
    Labels: request.labels,
    ...(request.publishOn ? { ExposedPorts: { [port]: {} } } : {}),
    HostConfig: {
      ReadonlyRootfs: true,
      Mounts: [{ Type: 'volume', Source: request.disk.volume, Target: request.disk.target }],
      Tmpfs: Object.fromEntries(
        Object.entries(scratchSizesMb(request.limits.memoryMb)).map(([dir, mb]) => [dir, `rw,nosuid,nodev,size=${mb}m,mode=${dir === '/run' ? '755' : '1777'}`]),
      ),
      // json-file is Docker's name; Podman maps it to its k8s-file and max-size to its log size limit.
      LogConfig: { Type: 'json-file', Config: { 'max-size': `${request.logMaxMb}m` } },
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: request.limits.cpuMillis * 1_000_000,
      CpuShares: cpuShares(request.cpuRequestMillis ?? request.limits.cpuMillis),
      PidsLimit: request.limits.pidsLimit,
      Ulimits: [
        { Name: 'nofile', Soft: nofile.soft, Hard: nofile.hard },
        { Name: 'nproc', Soft: nproc.soft, Hard: nproc.hard },
      ],
      Privileged: false,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Init: true,
      RestartPolicy: { Name: 'no' },
      ...(request.network ? { NetworkMode: request.network } : {}),
      ...(request.publishOn ? { PortBindings: { [port]: [{ HostIp: request.publishOn, HostPort: '' }] } } : {}),
    },
  };
}
