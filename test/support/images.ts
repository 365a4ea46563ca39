import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const BUSYBOX_IMAGE = 'localhost/berth-test/busybox:latest';

/**
 * A tiny image made from the host's static busybox (package busybox-static), for tests that
 * need a real container without a build. No registry is involved. It has sh, httpd, nc, …
 */
export function ensureBusyboxImage(): string {
  try {
    execFileSync('podman', ['image', 'exists', BUSYBOX_IMAGE]);
    return BUSYBOX_IMAGE;
  } catch {
    // not there yet
  }
  const root = mkdtempSync(join(tmpdir(), 'berth-busybox-'));
  try {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'tmp'));
    mkdirSync(join(root, 'www'));
    cpSync('/bin/busybox', join(root, 'bin', 'busybox'));
    const applets = execFileSync('/bin/busybox', ['--list']).toString().trim().split('\n');
    for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(root, 'bin', applet));
    const tar = execFileSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync('podman', ['import', '--change', 'ENV PATH=/bin', '-', BUSYBOX_IMAGE], { input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return BUSYBOX_IMAGE;
}

// Next to this file in the source tree; from dist/test/support (compiled benchmarks), back in it.
const WEB_APP = [join(__dirname, 'fixtures', 'web-app.js'), join(__dirname, '..', '..', '..', 'test', 'support', 'fixtures', 'web-app.js')].find((path) => existsSync(path))!;

/**
 * An image that runs test/support/fixtures/web-app.js with this machine's Node.js binary and
 * the shared libraries it links (no registry, no build). The tag follows the script and the
 * Node.js version, so a changed fixture makes a new image. Starts with `node /app/web-app.js`.
 */
export function ensureWebAppImage(): string {
  const hash = createHash('sha256').update(readFileSync(WEB_APP)).update(process.version).digest('hex').slice(0, 12);
  const image = `localhost/berth-test/web-app:${hash}`;
  try {
    execFileSync('podman', ['image', 'exists', image]);
    return image;
  } catch {
    // not there yet
  }
  const root = mkdtempSync(join(tmpdir(), 'berth-web-app-'));
  try {
    const node = process.execPath;
    const libraries = execFileSync('ldd', [node])
      .toString()
      .split('\n')
      .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
      .filter((path): path is string => Boolean(path));
    for (const file of [node, ...libraries]) {
      mkdirSync(join(root, dirname(file)), { recursive: true });
      cpSync(file, join(root, file), { dereference: true });
    }
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    symlinkSync(node, join(root, 'usr/local/bin/node'));
    mkdirSync(join(root, 'app'));
    mkdirSync(join(root, 'tmp'));
    cpSync(WEB_APP, join(root, 'app', 'web-app.js'));
    const tar = execFileSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 512 * 1024 * 1024 });
    execFileSync(
      'podman',
      ['import', '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', '--change', 'CMD ["node", "/app/web-app.js"]', '-', image],
      { input: tar, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 16 * 1024 * 1024 },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return image;
}
