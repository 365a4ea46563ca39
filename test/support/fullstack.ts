import { execFileSync } from 'node:child_process';
import { RunningPlatform } from './platform';
import { Answer, get } from './router';
import { removeContainersOf, startAgent, startWholePlatform, TestAgent } from './runtime';

/**
 * The whole platform as `npm start` runs it (startWholePlatform: every role in one process, a
 * database of its own, the router on a free port) and any number of extra agents, each its own
 * host on the local engine.
 */
export interface FullStack {
  platform: RunningPlatform;
  routerPort: number;
  /** The host of the platform's own agent. */
  hostName: string;
  /** Extra agents, started with `addAgent`. */
  agents: TestAgent[];
  addAgent(name?: string): Promise<TestAgent>;
  /** A request through the router, as a browser would send it to http://<host>:<routerPort>. */
  viaRouter(host: string, path?: string, headers?: Record<string, string>): Promise<Answer>;
  /** Every host name this stack ran, so their containers can be found and removed. */
  hostNames(): string[];
  close(): Promise<void>;
}

/** Capacity each host declares: room for a few small instances and a rollout beside them. */
const HOST = { memoryMb: 1024, cpu: 2 };

export async function startFullStack(options: { agents?: number; env?: Record<string, string> } = {}): Promise<FullStack> {
  const whole = await startWholePlatform({ ...HOST, env: options.env });
  const ran = new Set<string>([whole.hostName]);
  const agents: TestAgent[] = [];
  const close = async () => {
    await Promise.all(agents.map((agent) => agent.stop().catch(() => undefined)));
    removeContainersOf([...ran]);
    await whole.stop();
  };
  const addAgent = async (name?: string) => {
    const agent = await startAgent({ name, ...HOST, env: whole.env });
    ran.add(agent.name);
    const at = agents.findIndex((a) => a.name === agent.name);
    if (at >= 0) agents[at] = agent;
    else agents.push(agent);
    return agent;
  };
  try {
    for (let i = 0; i < (options.agents ?? 0); i++) await addAgent();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    platform: whole.platform,
    routerPort: whole.routerPort,
    hostName: whole.hostName,
    agents,
    addAgent,
    viaRouter: (host, path = '/', headers = {}) => get(whole.routerPort, host, path, { headers }),
    hostNames: () => [...ran],
    close,
  };
}

/** The `key value` lines of the static-cgi fixture's /cgi-bin/info, as an object. */
export function parseInfo(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf(' ');
        return [line.slice(0, at), line.slice(at + 1)];
      }),
  );
}

export interface AppContainer {
  /** The short id, as `hostname` says inside the container. */
  id: string;
  env: string;
  release: string;
  instance: string;
  host: string;
  running: boolean;
}

/** What the engine runs for an app, found by the labels every Berth container carries. */
export function containersOfApp(app: string): AppContainer[] {
  const out = execFileSync('podman', ['ps', '-a', '--filter', `label=berth.app=${app}`, '--format', 'json']).toString();
  const list = JSON.parse(out) as { Id: string; State: string; Labels: Record<string, string> }[];
  return list.map((c) => ({
    id: c.Id.slice(0, 12),
    env: c.Labels['berth.env'],
    release: c.Labels['berth.release'],
    instance: c.Labels['berth.instance'],
    host: c.Labels['berth.host'],
    running: c.State === 'running',
  }));
}
