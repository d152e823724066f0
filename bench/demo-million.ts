import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateItemBatch } from '../src/modules/demo/items.js';

// `yidang demo --items 1000000` on the embedded default, as a user runs it (the built CLI, a fresh
// data directory), against the 5-minute budget, and against generating the same items in memory only.

const ITEMS = Number(process.env.BENCH_DEMO_ITEMS ?? 1_000_000);
const BUDGET_SECONDS = 300;

let started = performance.now();
for (let index = 0; index < ITEMS; index += 1000)
  generateItemBatch(1, 'D001', '320115', index, Math.min(1000, ITEMS - index));
const generationSeconds = (performance.now() - started) / 1000;

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-demo-bench-'));
started = performance.now();
const result = spawnSync(process.execPath, ['bin/yidang.js', 'demo', '--items', String(ITEMS)], {
  env: { ...process.env, YIDANG_HOME: home, DATABASE_URL: '' },
  encoding: 'utf8',
});
const seconds = (performance.now() - started) / 1000;
const size = spawnSync('du', ['-sh', home], { encoding: 'utf8' }).stdout.split('\t')[0];
fs.rmSync(home, { recursive: true, force: true });
if (result.status !== 0) {
  console.error(result.stderr);
  process.exit(1);
}
console.log(
  `demo --items ${ITEMS} on PGlite: ${seconds.toFixed(0)} s (${Math.round(ITEMS / seconds)} items/s, database ${size}) | ` +
    `budget ${BUDGET_SECONDS} s, ratio ${(seconds / BUDGET_SECONDS).toFixed(2)} | ` +
    `generating the items alone ${generationSeconds.toFixed(0)} s (${((generationSeconds / seconds) * 100).toFixed(0)}% of the run)`,
);
