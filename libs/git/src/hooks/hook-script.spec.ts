import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preReceiveHook } from './hook-script';

/** Runs the real hook script against a Unix-socket server that answers with `reply`. */
describe('pre-receive hook script', () => {
  let dir: string;
  let hook: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-hook-spec-'));
    hook = join(dir, 'pre-receive');
    await writeFile(hook, preReceiveHook(process.execPath), { mode: 0o755 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function run(reply: ((res: ServerResponse) => void) | null): Promise<{ code: number | null; stderr: string }> {
    const socket = join(dir, `s${Math.random().toString(36).slice(2, 8)}.sock`);
    let server: Server | null = null;
    if (reply) {
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => reply(res));
      });
      await new Promise<void>((resolve) => server!.listen(socket, resolve));
    }
    const child = spawn(hook, [], { env: { BERTH_HOOK_SOCKET: socket, BERTH_HOOK_SECRET: 'x' }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(`${'a'.repeat(40)} ${'b'.repeat(40)} refs/heads/main\n`);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (server) await new Promise((resolve) => server!.close(resolve));
    return { code, stderr };
  }

  const line = (message: object) => `${JSON.stringify(message)}\n`;

  it("accepts the push with Berth's exit code when the whole answer arrives", async () => {
    expect((await run((res) => res.end(line({ out: 'Deployed\n' }) + line({ exit: 0 })))).code).toBe(0);
    const refused = await run((res) => res.end(line({ out: 'Build failed\n' }) + line({ exit: 2 })));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Build failed');
  });

  it('fails closed when Berth dies mid-answer', async () => {
    const result = await run((res) => {
      res.writeHead(200);
      res.write(line({ out: 'Building…\n' }));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not accepted');
  });

  it('fails closed when the answer ends without an exit code or with half a line', async () => {
    expect((await run((res) => res.end(line({ out: 'hello\n' })))).code).toBe(1);
    expect((await run((res) => res.end(`${line({ out: 'x' })}{"exit":`))).code).toBe(1);
  });

  it('fails closed when Berth cannot be reached', async () => {
    const result = await run(null);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot reach Berth');
  });
});
