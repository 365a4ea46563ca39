#!/usr/bin/env node
// The npm registry reachable here serves only linux-x64 builds of packages' platform-specific
// optional dependencies (@swc/core-darwin-arm64 and friends answer 404), so `npm install`
// leaves them out of package-lock.json and `npm ci` then refuses the lockfile as out of sync.
// This adds a bare entry for each missing optional dependency; `npm ci` skips an optional
// package it cannot fetch, exactly as it would skip one for another platform.
// Run it after adding or upgrading dependencies: `npm run fix-lockfile`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

/** Where Node would find `name` when required from the package at `path`. */
function resolves(path, name) {
  let dir = path;
  for (;;) {
    if (packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

const added = [];
for (const [path, meta] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    if (resolves(path, name)) continue;
    packages[`node_modules/${name}`] = { version: String(range).replace(/^[\^~=]/, ''), optional: true };
    added.push(name);
  }
}
if (added.length) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(added.length ? `package-lock.json: added ${added.length} optional platform entries` : 'package-lock.json: nothing to add');
