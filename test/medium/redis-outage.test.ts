import { ChildProcess, spawn } from 'node:child_process';
import { Logger } from '@nestjs/common';
import { freePort, RunningPlatform, startPlatform } from '../support/platform';

/**
 * A Redis outage of a running api + builder + scheduler: operators get one line when Redis
 * goes and one when it is back, not ioredis' and BullMQ's forty lines a second per process.
 */
describe('Redis outage', () => {
  let port: number;
  let redis: ChildProcess | null = null;
  let platform: RunningPlatform | null = null;
  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = require('node:net').connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
  });
  // Closing a platform whose Redis restarted has once hung in BullMQ's close on a loaded CI run
  // (not understood yet; see README "Known limitations"): wait for it a while, not for ever.
  afterAll(async () => {
    await Promise.race([platform?.close(), new Promise((resolve) => setTimeout(resolve, 20_000).unref())]);
    redis?.kill('SIGKILL');
  }, 60_000);

  it('says once that Redis is gone and once that it is back', async () => {
    const printed: string[] = [];
    const errors = jest.spyOn(console, 'error').mockImplementation((...args) => void printed.push(args.map(String).join(" ")));
    const warns = jest.spyOn(Logger.prototype, 'warn');
    const logs = jest.spyOn(Logger.prototype, 'log');
    try {
      platform = await startPlatform(['api', 'builder', 'scheduler'], { REDIS_URL: `redis://127.0.0.1:${port}` });
      redis!.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 6000));
      await startRedis();
      await new Promise((resolve) => setTimeout(resolve, 4000));
    } finally {
      errors.mockRestore();
    }
    const said = (spy: jest.SpyInstance) => spy.mock.calls.map((call) => String(call[0]));
    expect(printed.filter((line) => /ECONNREFUSED|Unhandled error/.test(line))).toEqual([]);
    expect(said(warns).filter((line) => /cannot reach Redis: .*Berth keeps retrying/.test(line))).toHaveLength(1);
    expect(said(logs).filter((line) => /Redis is reachable again/.test(line))).toHaveLength(1);
    warns.mockRestore();
    logs.mockRestore();
  }, 60_000);
});
