/**
 * HTTP clients on their own event loop (a worker thread), so a bench that runs Berth in its own
 * process does not time its requests on the loop it is measuring: `clients` at once take the
 * hosts in order and send each one GET / through the router, timed until the whole answer.
 * Times are absolute (performance.timeOrigin + now), comparable with the caller's clock.
 */
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface Answer {
  host: string;
  /** Absolute ms (timeOrigin-based) when the request was sent and the answer complete. */
  sentAt: number;
  answeredAt: number;
  ms: number;
  status: number | null;
  body: string;
  error?: string;
}

interface Job {
  port: number;
  hosts: string[];
  clients: number;
  timeoutMs: number;
}

const now = () => performance.timeOrigin + performance.now();

function timedGet(port: number, host: string, timeoutMs: number): Promise<Answer> {
  const sentAt = now();
  const done = (status: number | null, body: string, error?: string): Answer => {
    const answeredAt = now();
    return { host, sentAt, answeredAt, ms: answeredAt - sentAt, status, body, error };
  };
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/', headers: { host }, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(done(res.statusCode ?? null, Buffer.concat(chunks).toString())));
      res.on('error', (error) => resolve(done(res.statusCode ?? null, '', error.message)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (error) => resolve(done(null, '', error.message)));
  });
}

async function run({ port, hosts, clients, timeoutMs }: Job): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(clients, hosts.length) }, async () => {
      while (next < hosts.length) answers.push(await timedGet(port, hosts[next++], timeoutMs));
    }),
  );
  return answers;
}

/** Sends one GET / to each of `hosts` through `port`, `clients` at once, from a worker thread. */
export function getFromWorker(port: number, hosts: string[], clients: number, timeoutMs = 90_000): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'http-clients.js'), { workerData: { port, hosts, clients, timeoutMs } satisfies Job });
    worker.once('message', (answers: Answer[]) => resolve(answers));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`the clients' worker exited with ${code}`)));
  });
}

/** Absolute time (as in Answer) on this thread's performance.now() clock. */
export const toLocalClock = (absolute: number) => absolute - performance.timeOrigin;

if (!isMainThread && parentPort) {
  const port = parentPort;
  void run(workerData as Job).then((answers) => port.postMessage(answers));
}
