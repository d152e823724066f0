import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../src/config/config.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import type { DirectoryReplica } from '../src/modules/storage/directory-replica.js';
import { addFile } from '../src/modules/storage/file.service.js';
import { runFixity } from '../src/modules/storage/fixity.service.js';
import { openSystem } from '../src/system/system.js';
import { SYSTEM } from '../test/helpers/fixture-access.js';
import { median } from './stats.js';

// Fixity audit throughput (MB/s of stored bytes re-read and re-hashed, every copy on two replicas)
// against `sha256sum` over exactly the same files, alternating, in the same run.

const FILES = Number(process.env.BENCH_FIXITY_FILES ?? 128);
const FILE_MB = Number(process.env.BENCH_FIXITY_FILE_MB ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS_FIXITY ?? 5);

function listFiles(directory: string): string[] {
  return fs
    .readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-fixity-'));
const system = await openSystem(
  loadConfig({ YIDANG_HOME: home, YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2' }),
  {
    initialize: true,
  },
);
try {
  const db = system.database.db;
  await createFonds(db, { code: 'B001', name: '基准测试局', regionCode: '320115' });
  const [item] = await fileItems(db, generateItemBatch('fixity', 'B001', '320115', 0, 1), 'bench', {
    access: SYSTEM,
  });
  for (let index = 0; index < FILES; index++) {
    const content = crypto.randomBytes(FILE_MB * 1024 * 1024);
    await addFile(
      { access: SYSTEM, db, store: system.store },
      item?.archiveCode as string,
      { stream: Readable.from([content]), fileName: `scan-${index}.tif` },
      'bench',
    );
  }
  const files = system.store.replicas.flatMap((replica) =>
    listFiles(path.join((replica as DirectoryReplica).root, 'blobs')),
  );
  const bytes = files.reduce((sum, file) => sum + fs.statSync(file).size, 0);
  const megabytes = bytes / 1024 ** 2;
  const fixityRates: number[] = [];
  const shaRates: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const child = execFile('xargs', ['-0', 'sha256sum'], { maxBuffer: 64 * 1024 * 1024 });
    const done = new Promise<void>((resolve, reject) =>
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sha256sum exited ${code}`)))),
    );
    let started = performance.now();
    child.stdin?.end(files.join('\0'));
    await done;
    const shaRate = megabytes / ((performance.now() - started) / 1000);
    started = performance.now();
    const report = await runFixity({ db, store: system.store }, 'bench');
    const fixityRate = report.bytes / 1024 ** 2 / ((performance.now() - started) / 1000);
    if (report.ok !== FILES * 2)
      throw new Error(`fixity found problems: ${JSON.stringify(report.findings.slice(0, 3))}`);
    if (round > 0) {
      shaRates.push(shaRate);
      fixityRates.push(fixityRate);
    }
  }
  const fixity = median(fixityRates);
  const sha = median(shaRates);
  console.log(
    `fixity     ${fixity.toFixed(0).padStart(6)} MB/s | sha256sum over the same ${files.length} files (${megabytes.toFixed(0)} MB) ${sha.toFixed(0)} MB/s | ratio ${(fixity / sha).toFixed(2)} (median of ${ROUNDS} rounds, files in page cache)`,
  );
} finally {
  await system.close();
  fs.rmSync(home, { recursive: true, force: true });
}
