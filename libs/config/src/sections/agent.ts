import { z } from 'zod';
import { env } from '../env';

const ulimit = z
  .string()
  .regex(/^\d+(:\d+)?$/, 'expected soft[:hard], e.g. 1024:1024')
  .transform((value) => {
    const [soft, hard = soft] = value.split(':').map(Number);
    return { soft, hard: Math.max(soft, hard) };
  });

export const agentEnv = z.object({
  /** This host's name among Berth's hosts (unique); defaults to the machine's hostname. */
  BERTH_HOST_NAME: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/i, 'expected a hostname-like name').optional(),
  /** Address at which the router reaches the ports this host publishes. */
  BERTH_HOST_ADDRESS: env.string('127.0.0.1'),
  /** Address container ports are published on; defaults to BERTH_HOST_ADDRESS. */
  AGENT_PUBLISH_ADDRESS: env.optional(),
  /** Capacity this host offers; unset means read from the machine (memory minus AGENT_RESERVED_MEMORY_MB, all cores). */
  AGENT_MEMORY_MB: z.coerce.number({ error: 'expected a whole number' }).int().min(64).optional(),
  AGENT_CPU: z.coerce.number({ error: 'expected a number' }).min(0.1).optional(),
  AGENT_PIDS: env.int(32768, 64, 4194304),
  AGENT_RESERVED_MEMORY_MB: env.int(1024, 0, 1048576),
  AGENT_HEARTBEAT_SECONDS: env.number(5, 0.2, 600),
  /** Fallback period of the reconcile loop; placements also wake the agent at once through Redis. */
  AGENT_RECONCILE_MS: env.int(2000, 100, 600000),
  /**
   * Above 0, rounds read the host's containers from the engine's event stream, listed in full
   * this often (and whenever the stream breaks); 0 (the default, until a full CI run has passed
   * with it on) lists them in full every round.
   */
  AGENT_CONTAINER_RESYNC_SECONDS: env.number(0, 0, 3600),
  /** A web process must answer on PORT within this time after starting. */
  AGENT_HEALTH_TIMEOUT_SECONDS: env.number(30, 1, 3600),
  /** Restarts of a crashed instance wait 1 s, 2 s, 4 s … up to this. */
  AGENT_RESTART_BACKOFF_MAX_SECONDS: env.number(60, 1, 3600),
  AGENT_STOP_TIMEOUT_SECONDS: env.int(5, 0, 300),
  /**
   * An asleep environment's containers are frozen first (memory kept, no CPU, woken by a thaw in
   * tens of ms) and stopped after this many minutes frozen (memory freed, woken by a start), or
   * sooner when the host is short of memory. 0: never frozen, stopped at once.
   */
  AGENT_FREEZE_MINUTES: env.number(30, 0, 10080),
  /** How often the agent removes the networks and images of deleted apps from its engine. */
  AGENT_PRUNE_SECONDS: env.number(60, 0.5, 86400),
  /** User that runs apps whose image names none (or root). */
  AGENT_CONTAINER_USER: z.string().regex(/^[a-zA-Z0-9_.-]+(:[a-zA-Z0-9_.-]+)?$/, 'expected user[:group]').default('65534:65534'),
  /** Container rlimits; they must stay within the container engine's own hard limits. */
  AGENT_ULIMIT_NOFILE: ulimit.default({ soft: 1024, hard: 1024 }),
  /**
   * RLIMIT_NPROC counts every task of the container's user on the whole host (every app runs as
   * 65534 unless its image names a user), so it caps the host, not a container: at 4,096 a
   * 2-core host stopped starting Node.js apps at about 510 awake (8 threads each). The pids
   * limit bounds each container; this stays at the engine's own limit here (kernel.pid_max).
   */
  AGENT_ULIMIT_NPROC: ulimit.default({ soft: 32768, hard: 32768 }),
  /** The engine keeps at most this much of each container's output on the host (older output is dropped). */
  AGENT_LOG_MAX_MB: env.int(10, 1, 10240),
  /**
   * Where the agent reads apps' output: `file` reads the engine's log files on this host
   * directly (falling back to the engine's API where it cannot read them, e.g. when Berth runs
   * in a container of its own), `engine` always streams it through the engine's API.
   */
  AGENT_LOG_SOURCE: z.enum(['file', 'engine'], { error: 'expected file or engine' }).default('file'),
  /** One-off runs: longest command, longest run. */
  RUN_MAX_COMMAND_LENGTH: env.int(2048, 16, 65536),
  RUN_TIMEOUT_SECONDS: env.int(900, 1, 86400),
});

export const mapAgent = (e: z.infer<typeof agentEnv>) => ({
  hostName: e.BERTH_HOST_NAME,
  hostAddress: e.BERTH_HOST_ADDRESS,
  publishAddress: e.AGENT_PUBLISH_ADDRESS ?? e.BERTH_HOST_ADDRESS,
  memoryMb: e.AGENT_MEMORY_MB,
  cpuMillis: e.AGENT_CPU === undefined ? undefined : Math.round(e.AGENT_CPU * 1000),
  pidsLimit: e.AGENT_PIDS,
  reservedMemoryMb: e.AGENT_RESERVED_MEMORY_MB,
  heartbeatMs: Math.round(e.AGENT_HEARTBEAT_SECONDS * 1000),
  reconcileMs: e.AGENT_RECONCILE_MS,
  containerResyncMs: Math.round(e.AGENT_CONTAINER_RESYNC_SECONDS * 1000),
  healthTimeoutMs: Math.round(e.AGENT_HEALTH_TIMEOUT_SECONDS * 1000),
  restartBackoffMaxMs: Math.round(e.AGENT_RESTART_BACKOFF_MAX_SECONDS * 1000),
  stopTimeoutSeconds: e.AGENT_STOP_TIMEOUT_SECONDS,
  freezeMs: Math.round(e.AGENT_FREEZE_MINUTES * 60_000),
  pruneMs: Math.round(e.AGENT_PRUNE_SECONDS * 1000),
  containerUser: e.AGENT_CONTAINER_USER,
  ulimits: { nofile: e.AGENT_ULIMIT_NOFILE, nproc: e.AGENT_ULIMIT_NPROC },
  logMaxMb: e.AGENT_LOG_MAX_MB,
  logSource: e.AGENT_LOG_SOURCE,
  runMaxCommandLength: e.RUN_MAX_COMMAND_LENGTH,
  runTimeoutMs: e.RUN_TIMEOUT_SECONDS * 1000,
});
