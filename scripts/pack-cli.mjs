// npm run build:cli: packs the berth CLI (apps/cli) into dist/cli/berth.tgz, which the api serves
// at /cli/berth.tgz. Vite bundles the CLI and commander into one file, so the tarball has no
// dependencies and `npm install -g http://<berth>/cli/berth.tgz` needs no registry.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'cli');
const pkgDir = join(out, 'package');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

execFileSync(join(root, 'node_modules', '.bin', 'vite'), ['build', '--config', 'apps/cli/vite.config.mts'], { cwd: root, stdio: 'inherit' });
chmodSync(join(pkgDir, 'bin', 'berth.js'), 0o755);
writeFileSync(
  join(pkgDir, 'package.json'),
  `${JSON.stringify(
    {
      name: 'berth-cli',
      version,
      description: "Berth's command line: apps, config, scaling, releases and one-off runs",
      license: 'MIT',
      bin: { berth: 'bin/berth.js' },
      files: ['bin'],
      engines: { node: '>=20.19' },
    },
    null,
    2,
  )}\n`,
);
writeFileSync(join(pkgDir, 'README.md'), '# berth\n\nBerth\'s command line. `berth login --api http://<berth>:3000`, then `berth --help`.\n');
const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
renameSync(join(out, packed.filename), join(out, 'berth.tgz'));
console.log(`CLI packed: dist/cli/berth.tgz (${packed.size} bytes)`);
