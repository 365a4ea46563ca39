import { appendFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFileEntry, parseLogFileLine, readLogFile } from './log-file';

const until = (check: () => boolean, ms = 3000) =>
  new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const look = () => (check() ? resolve() : Date.now() - started > ms ? reject(new Error('timed out')) : setTimeout(look, 10));
    look();
  });

describe('container log files', () => {
  it("parses Podman's k8s-file lines, a part of a longer line marked P", () => {
    expect(parseLogFileLine('2026-12-01T02:37:25.981378127+00:00 stdout F hello world')).toEqual({ stream: 'stdout', time: '2026-12-01T02:37:25.981378127+00:00', text: 'hello world', partial: false });
    expect(parseLogFileLine('2026-12-01T02:37:25.981378127+00:00 stderr P part ')).toEqual({ stream: 'stderr', time: '2026-12-01T02:37:25.981378127+00:00', text: 'part ', partial: true });
    expect(parseLogFileLine('2026-12-01T02:37:25.981378127+00:00 stdout F')).toMatchObject({ text: '', partial: false });
  });

  it("parses Docker's json-file lines, a part without its newline", () => {
    expect(parseLogFileLine('{"log":"hello\\n","stream":"stdout","time":"2026-12-01T02:37:25.981378127Z"}')).toEqual({ stream: 'stdout', time: '2026-12-01T02:37:25.981378127Z', text: 'hello', partial: false });
    expect(parseLogFileLine('{"log":"part","stream":"stderr","time":"2026-12-01T02:37:25Z"}')).toMatchObject({ stream: 'stderr', text: 'part', partial: true });
  });

  it('ignores what is neither', () => {
    for (const line of ['', 'hello', '2026-12-01T02:37:25Z stdin F x', '{"log":1}', '{not json']) expect(parseLogFileLine(line)).toBeNull();
  });

  describe('reading', () => {
    let dir: string;
    let path: string;
    const line = (n: number, stream = 'stdout', tag = 'F') => `2026-12-01T00:00:${String(n).padStart(2, '0')}.000000001+00:00 ${stream} ${tag} line ${n}\n`;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'berth-log-file-'));
      path = join(dir, 'ctr.log');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a file to its end, only what was written after `since`', async () => {
      writeFileSync(path, line(1) + line(2) + line(3) + '2026-12-01T00:00:04.0+00:00 stdout F no newline yet');
      const seen: string[] = [];
      await readLogFile(path, { follow: false, since: new Date('2026-12-01T00:00:01.5Z') }, (e) => seen.push(e.text));
      expect(seen).toEqual(['line 2', 'line 3']);
    });

    it('keeps a character whole when a read ends inside it', async () => {
      // The first read takes 256 KiB: put a two-byte character across that boundary.
      const head = `2026-12-01T00:00:01.0+00:00 stdout F `;
      const filler = 'x'.repeat(256 * 1024 - head.length - 1);
      writeFileSync(path, `${head}${filler}é tail\n${line(2)}`);
      const seen: string[] = [];
      await readLogFile(path, { follow: false }, (e) => seen.push(e.text));
      expect(seen).toEqual([`${filler}é tail`, 'line 2']);
    });

    it('follows what is appended, goes on with the new file when the engine replaces it, and ends when told the container stopped', async () => {
      writeFileSync(path, line(1));
      const seen: LogFileEntry[] = [];
      const stopped = new AbortController();
      const reading = readLogFile(path, { follow: true, until: stopped.signal }, (e) => seen.push(e));
      await until(() => seen.length === 1);
      appendFileSync(path, line(2, 'stderr', 'P') + line(3));
      await until(() => seen.length === 3);
      expect(seen.map((e) => [e.stream, e.text, e.partial])).toEqual([
        ['stdout', 'line 1', false],
        ['stderr', 'line 2', true],
        ['stdout', 'line 3', false],
      ]);
      // Rotation at the size limit: a new file renamed over the old one.
      writeFileSync(join(dir, 'next.log'), line(4));
      renameSync(join(dir, 'next.log'), path);
      await until(() => seen.length === 4);
      appendFileSync(path, line(5));
      await until(() => seen.length === 5);
      // The last line the container wrote as it stopped is read before the reading ends.
      appendFileSync(path, line(6));
      stopped.abort();
      await reading;
      expect(seen.map((e) => e.text)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
    });

    it('ends when the file is removed (its container is gone) or the read is aborted', async () => {
      writeFileSync(path, line(1));
      let read = 0;
      const gone = readLogFile(path, { follow: true }, () => read++);
      await until(() => read === 1);
      unlinkSync(path);
      await gone;
      writeFileSync(path, line(1));
      const abort = new AbortController();
      const reading = readLogFile(path, { follow: true, signal: abort.signal }, () => undefined);
      abort.abort();
      await reading;
    });
  });
});
