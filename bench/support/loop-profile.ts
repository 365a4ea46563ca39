import { Session } from 'node:inspector';

/**
 * A CPU profile of this process's main thread (V8's sampling profiler, through the inspector)
 * over a stretch of a bench, summed by function: what kept the event loop busy. Only the
 * functions' own time (self) is counted, so the list says where the loop's time went, not who
 * called what.
 */
export interface LoopProfile {
  /** Milliseconds sampled in all, and idle among them (the loop waiting for work). */
  sampledMs: number;
  idleMs: number;
  /** The functions with the most self time: `name (file:line)` and ms. */
  top: { fn: string; ms: number }[];
  /** Self time by where the code lives: Berth's libs, Prisma, node_modules, Node itself, the GC. */
  byOrigin: Record<string, number>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function originOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program';
  if (url.includes('/dist/libs/')) return `berth:${url.split('/dist/libs/')[1].split('/')[0]}`;
  if (url.includes('/dist/bench/')) return 'bench';
  if (url.includes('@prisma') || url.includes('.prisma')) return 'prisma';
  if (url.includes('node_modules/')) return `npm:${url.split('node_modules/').pop()!.split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/')}`;
  if (url.startsWith('node:') || url === '') return 'node';
  return 'other';
}

/** Starts the profiler; `stop()` ends it and sums the samples. */
export async function profileLoop(): Promise<{ stop: () => Promise<LoopProfile> }> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  await post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await post<{ profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] } }>('Profiler.stop');
      session.disconnect();
      const msPerSample = profile.samples.length ? (profile.endTime - profile.startTime) / 1000 / profile.samples.length : 0;
      const byFn = new Map<string, number>();
      const byOrigin: Record<string, number> = {};
      let idle = 0;
      for (const node of profile.nodes) {
        const ms = (node.hitCount ?? 0) * msPerSample;
        if (!ms) continue;
        const { functionName, url, lineNumber } = node.callFrame;
        const origin = originOf(url, functionName);
        if (origin === 'idle') idle += ms;
        byOrigin[origin] = (byOrigin[origin] ?? 0) + ms;
        const key = `${functionName || '(anonymous)'} (${url.split('/').slice(-2).join('/')}:${lineNumber + 1})`;
        byFn.set(key, (byFn.get(key) ?? 0) + ms);
      }
      const round = (ms: number) => Math.round(ms);
      return {
        sampledMs: round((profile.endTime - profile.startTime) / 1000),
        idleMs: round(idle),
        top: [...byFn].filter(([fn]) => !fn.startsWith('(idle)')).sort((x, y) => y[1] - x[1]).slice(0, 25).map(([fn, ms]) => ({ fn, ms: round(ms) })),
        byOrigin: Object.fromEntries(Object.entries(byOrigin).sort((x, y) => y[1] - x[1]).map(([origin, ms]) => [origin, round(ms)])),
      };
    },
  };
}
