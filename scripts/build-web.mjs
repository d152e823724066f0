// Builds the web console into dist/web with Vite, unless nothing under web/ (or the lockfile)
// changed since the last build: `npm test` builds first, and an unchanged console should cost nothing.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'dist', 'web');
const stampFile = path.join(outDir, '.source-hash');

function* files(directory) {
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else yield full;
  }
}

const hash = createHash('sha256');
for (const file of [...files(path.join(root, 'web')), path.join(root, 'package-lock.json')].sort()) {
  hash.update(path.relative(root, file));
  hash.update(fs.readFileSync(file));
}
const digest = hash.digest('hex');
const previous = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8') : '';
if (
  previous === digest &&
  fs.existsSync(path.join(outDir, 'index.html')) &&
  !process.argv.includes('--force')
) {
  process.stdout.write('管理台未改动，跳过构建\n');
} else {
  await build({ configFile: path.join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
  fs.writeFileSync(stampFile, digest);
  process.stdout.write('管理台已构建到 dist/web\n');
}
