import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
