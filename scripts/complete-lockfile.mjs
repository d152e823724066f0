#!/usr/bin/env node
// The package registry this project is built against serves only the linux-x64 builds of
// platform-specific packages (esbuild, rollup, biome), so `npm install` leaves the other platforms'
// optional entries out of package-lock.json, and `npm ci` then refuses the lock as out of sync.
// This adds those entries back, with the os/cpu/libc their names declare, exactly as npm writes
// them for packages that do not match the machine: npm ci skips them without fetching anything.
import fs from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'));
const OS = [
  'aix',
  'android',
  'darwin',
  'freebsd',
  'linux',
  'netbsd',
  'openbsd',
  'openharmony',
  'sunos',
  'win32',
];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const osIndex = parts.findIndex((part) => OS.includes(part));
  if (osIndex === -1) return undefined;
  const [cpu, abi] = parts.slice(osIndex + 1);
  if (!cpu) return undefined;
  const libc = abi === 'musl' ? ['musl'] : abi === 'gnu' || abi === 'gnueabihf' ? ['glibc'] : undefined;
  return { os: [parts[osIndex]], cpu: [cpu], ...(libc ? { libc } : {}) };
}

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path === '' ? 'node_modules' : `${path}/node_modules`;
    if (lock.packages[`${base}/${name}`] || lock.packages[`node_modules/${name}`]) continue;
    const platform = platformOf(name);
    if (!platform) continue;
    lock.packages[`node_modules/${name}`] = {
      version: version.replace(/^[\^~]/, ''),
      ...platform,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
fs.writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform entries`);
