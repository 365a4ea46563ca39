import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBusyboxImage } from './images';
import { TEST_LABEL } from './runtime';

// CRLF: Node's HTTP parser refuses bare LF after a header.
const HEADER = "printf 'Content-Type: text/plain\\r\\n\\r\\n'";

/** CGI scripts of the logging app: their stderr is the container's (httpd runs in the foreground). */
const CGI: Record<string, string> = {
  hello: `${HEADER}\necho "handling $REQUEST_METHOD $REQUEST_URI" >&2\necho hello`,
  crash: `${HEADER}\ntouch /tmp/crash\necho crashing`,
  // 10,000 lines as fast as the shell can print them.
  flood: `${HEADER}\nseq 1 10000 | sed 's/^/flood /' >&2\necho flooded`,
};

/**
 * A web process that logs when it starts, for each request to /cgi-bin/hello, and exits 1
 * after printing "about to crash" once /cgi-bin/crash was requested.
 */
export const LOGGING_WEB = 'echo "starting on port $PORT"; httpd -f -p $PORT -h /www & while [ ! -f /tmp/crash ]; do sleep 0.2; done; echo "about to crash"; exit 1';

/** A busybox image with the CGI scripts above (built once). */
export function ensureLoggingImage(): string {
  const tag = 'localhost/berth-test/logging-web:1';
  try {
    execFileSync('podman', ['image', 'exists', tag]);
    return tag;
  } catch {
    // build it
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-logging-image-'));
  try {
    mkdirSync(join(dir, 'www', 'cgi-bin'), { recursive: true });
    writeFileSync(join(dir, 'www', 'index.html'), 'logging\n');
    for (const [name, body] of Object.entries(CGI)) {
      writeFileSync(join(dir, 'www', 'cgi-bin', name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, 'www', 'cgi-bin', name), 0o755);
    }
    writeFileSync(join(dir, 'Containerfile'), `FROM ${ensureBusyboxImage()}\nCOPY www /www\nRUN chmod 1777 /tmp\n`);
    execFileSync('podman', ['build', '-q', '--label', TEST_LABEL, '-t', tag, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tag;
}

/** Server-sent events read with fetch (Authorization header), as the dashboard reads them. */
export class SseReader {
  readonly events: { id?: string; event?: string; data: string }[] = [];
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  readonly done: Promise<void>;

  constructor(url: string, headers: Record<string, string>) {
    this.done = (async () => {
      const response = await fetch(url, { headers, signal: this.abort.signal });
      if (response.status !== 200) throw new Error(`SSE ${url}: ${response.status} ${await response.text()}`);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const event: { id?: string; event?: string; data: string } = { data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data += line.slice(6);
          }
          if (block.startsWith(':')) continue;
          this.events.push(event);
          const waiting = this.waiters;
          this.waiters = [];
          waiting.forEach((wake) => wake());
        }
      }
    })().catch((error) => {
      if (!this.abort.signal.aborted) throw error;
    });
  }

  /** Resolves with the first event whose data matches, waiting as long as it takes (the test's timeout bounds it). */
  async waitFor(match: (data: string) => boolean): Promise<{ id?: string; data: string }> {
    for (;;) {
      const found = this.events.find((event) => match(event.data));
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.abort.abort();
  }
}
