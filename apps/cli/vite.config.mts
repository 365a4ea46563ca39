// Bundles the CLI with commander into one file, dist/cli/package/bin/berth.js, for the tarball
// the api serves at /cli/berth.tgz (scripts/pack-cli.mjs): `npm install -g` of it needs no registry.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warn',
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: fileURLToPath(new URL('./src/main.ts', import.meta.url)),
    outDir: fileURLToPath(new URL('../../dist/cli/package/bin', import.meta.url)),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rolldownOptions: { output: { format: 'cjs', entryFileNames: 'berth.js' } },
  },
});
