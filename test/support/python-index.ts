import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

/** A built wheel: its PEP 503 project name and file. */
export interface Wheel {
  project: string;
  filename: string;
  data: Buffer;
}

/** PEP 503's normalized project name. */
export const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/** A zip archive (deflated entries), which is what a wheel is. */
function zip(entries: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const packed = deflateRawSync(data);
    const fileName = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    local.writeUInt16LE(0, 28);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(0x0314, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(8, 10);
    header.writeUInt16LE(0, 12);
    header.writeUInt16LE(0x21, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(packed.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(fileName.length, 28);
    header.writeUInt32LE(((0o100644 << 16) >>> 0), 38);
    header.writeUInt32LE(offset, 42);
    locals.push(local, fileName, packed);
    central.push(header, fileName);
    offset += local.length + fileName.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * A pure-Python wheel (py3-none-any) of the given files, with METADATA (name, version and
 * Requires-Dist lines), WHEEL, entry_points.txt when given, and RECORD, as pip expects.
 */
export function makeWheel(name: string, version: string, files: Record<string, Buffer | string>, options: { metadata?: string; requires?: string[]; entryPoints?: string } = {}): Wheel {
  const stem = `${name.replace(/[-.]+/g, '_')}-${version}`;
  const info = `${stem}.dist-info`;
  let metadata = options.metadata ?? `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`;
  const requires = (options.requires ?? []).map((line) => `Requires-Dist: ${line}\n`).join('');
  // Headers end at the first blank line; Requires-Dist goes with them.
  const split = metadata.indexOf('\n\n');
  metadata = split < 0 ? `${metadata.replace(/\n?$/, '\n')}${requires}` : `${metadata.slice(0, split + 1)}${requires}${metadata.slice(split + 1)}`;
  const entries: [string, Buffer][] = Object.entries(files).map(([path, content]) => [path, Buffer.isBuffer(content) ? content : Buffer.from(content)]);
  entries.push([`${info}/METADATA`, Buffer.from(metadata)]);
  entries.push([`${info}/WHEEL`, Buffer.from('Wheel-Version: 1.0\nGenerator: berth-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n')]);
  if (options.entryPoints) entries.push([`${info}/entry_points.txt`, Buffer.from(options.entryPoints)]);
  const record = entries.map(([path, data]) => `${path},sha256=${createHash('sha256').update(data).digest('base64url')},${data.length}`);
  entries.push([`${info}/RECORD`, Buffer.from(`${[...record, `${info}/RECORD,,`].join('\n')}\n`)]);
  return { project: normalize(name), filename: `${stem}-py3-none-any.whl`, data: zip(entries) };
}

/** requires.txt of an egg-info (plain lines, then `[extra]`, `[:marker]` or `[extra:marker]` sections) as Requires-Dist values. */
export function requiresDist(text: string): string[] {
  const out: string[] = [];
  let marker = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const section = /^\[([^:\]]*)(?::(.*))?\]$/.exec(line);
    if (section) {
      const parts = [section[1] ? `extra == "${section[1]}"` : '', section[2] ? `(${section[2]})` : ''].filter(Boolean);
      marker = parts.join(' and ');
      continue;
    }
    out.push(marker ? `${line}; ${marker}` : line);
  }
  return out;
}

/**
 * Wheels repacked from Debian packages of Python libraries (`apt-get download`, which reaches
 * Debian's archive, then the files under dist-packages): the public Python package index cannot
 * be reached from these machines, and Debian's bookworm packages are real releases of Flask,
 * gunicorn, Django and their dependencies, built for the same Python 3.11 the stack image has.
 * Their egg-info becomes the wheel's METADATA. Debian declares runtime dependencies as Debian
 * packages, not in requires.txt, so the caller gives each project's upstream requirements
 * (`requires`, by project name) for Requires-Dist, and pip resolves them from the index as it
 * would from the public one. Symbolic links (Debian points some data at system files) are left out.
 */
export function debianWheels(packages: string[], requires: Record<string, string[]> = {}): Wheel[] {
  const dir = mkdtempSync(join(tmpdir(), 'berth-debs-'));
  try {
    execFileSync('apt-get', ['download', '-q', ...packages], { cwd: dir, stdio: 'pipe' });
    const wheels: Wheel[] = [];
    for (const deb of readdirSync(dir).filter((file) => file.endsWith('.deb'))) {
      const root = join(dir, `${deb}.d`);
      execFileSync('dpkg-deb', ['-x', join(dir, deb), root]);
      const site = join(root, 'usr/lib/python3/dist-packages');
      const names = readdirSync(site);
      const infoDir = names.find((name) => /\.(egg|dist)-info$/.test(name));
      if (!infoDir) throw new Error(`${deb} has no egg-info or dist-info`);
      const [, name, version] = /^(.+?)-([^-]+?)(?:-py[\d.]+)?\.(?:egg|dist)-info$/.exec(infoDir)!;
      const info = join(site, infoDir);
      const read = (file: string) => {
        try {
          return readFileSync(join(info, file), 'utf8');
        } catch {
          return null;
        }
      };
      const files: Record<string, Buffer> = {};
      const walk = (path: string) => {
        const stat = lstatSync(path);
        if (stat.isDirectory()) readdirSync(path).forEach((child) => walk(join(path, child)));
        else if (stat.isFile()) files[relative(site, path)] = readFileSync(path);
      };
      names.filter((entry) => entry !== infoDir).forEach((entry) => walk(join(site, entry)));
      const metadata = read('PKG-INFO') ?? read('METADATA') ?? undefined;
      wheels.push(makeWheel(name, version, files, { metadata, requires: [...(requires[normalize(name)] ?? []), ...(infoDir.endsWith('.egg-info') ? requiresDist(read('requires.txt') ?? '') : [])], entryPoints: read('entry_points.txt') ?? undefined }));
    }
    return wheels;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A PEP 503 "simple" package index over the given wheels: /simple/<project>/ lists a project's
 * files (with their sha256), /files/<name> serves them. It listens on every address, on a port of
 * its own: build steps reach it through the build network's gateway (BUILD_PIP_INDEX_URL on
 * 127.0.0.1, routed by the builder); nothing outside this machine can reach the machine at all.
 */
export class PackageIndex {
  /** Paths asked for, in order. */
  readonly requests: string[] = [];
  private server: Server | null = null;
  private readonly byProject = new Map<string, Wheel[]>();

  constructor(wheels: Wheel[]) {
    for (const wheel of wheels) this.byProject.set(wheel.project, [...(this.byProject.get(wheel.project) ?? []), wheel]);
  }

  /** Starts serving; returns the index URL on loopback. */
  async start(): Promise<string> {
    const files = new Map([...this.byProject.values()].flat().map((wheel) => [wheel.filename, wheel]));
    this.server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
      this.requests.push(path);
      const page = (body: string) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<!DOCTYPE html><html><body>\n${body}\n</body></html>\n`);
      if (path === '/simple/') return page([...this.byProject.keys()].map((project) => `<a href="/simple/${project}/">${project}</a>`).join('\n'));
      const project = /^\/simple\/([^/]+)\/$/.exec(path);
      if (project && this.byProject.has(normalize(project[1]))) {
        const links = this.byProject.get(normalize(project[1]))!.map((wheel) => `<a href="/files/${wheel.filename}#sha256=${createHash('sha256').update(wheel.data).digest('hex')}">${wheel.filename}</a>`);
        return page(links.join('\n'));
      }
      const file = /^\/files\/([^/]+)$/.exec(path);
      if (file && files.has(file[1])) return res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': files.get(file[1])!.data.length }).end(files.get(file[1])!.data);
      res.writeHead(404).end('not found\n');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '0.0.0.0', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/simple/`;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}
