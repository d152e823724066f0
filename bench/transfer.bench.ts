import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../src/config/config.js';
import { inTransaction } from '../src/db/transaction.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import { attachStaged, stageFile } from '../src/modules/storage/file.service.js';
import { validateBag } from '../src/modules/transfer/bag.validate.js';
import { type BatchSource, exportBatch } from '../src/modules/transfer/package.js';
import { openSystem } from '../src/system/system.js';
import { SYSTEM } from '../test/helpers/fixture-access.js';

// Packing a transfer batch into a bag (issue 26): items with encrypted files on two directory
// replicas (PGlite), exported by the package code — per 件 the files decrypted and hashed as they are
// written, an EEP signed, the history with inclusion proofs — against GNU `tar` of the very same
// decrypted files (read from the bag just written, written to a tar file on the same disk), measured in
// the same run. MB/s counts the files' bytes (the EEPs and histories are extra work the package does).
// Peak memory is sampled while packing: it must not grow with the batch.
//
// Size: `--items=N --mb=M` (or BENCH_TRANSFER_ITEMS / BENCH_TRANSFER_MB). The default (1,000 items,
// 100 MB) runs in about a minute; the figure is `--items=10000 --mb=1024`.

const flag = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const ITEMS = Number(flag('items') ?? process.env.BENCH_TRANSFER_ITEMS ?? 1_000);
const MB = Number(flag('mb') ?? process.env.BENCH_TRANSFER_MB ?? 100);
const FILE_BYTES = Math.max(1, Math.floor((MB * 1024 * 1024) / ITEMS));
const CODE = 'YJ-B001-2026-1';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-transfer-'));
const system = await openSystem(
  loadConfig({
    YIDANG_HOME: home,
    YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2',
    // As in the server, where the export job runs: the engine on its own thread.
    YIDANG_PGLITE_THREAD: 'worker',
  }),
  {
    initialize: true,
  },
);
try {
  const db = system.database.db;
  await createFonds(db, { code: 'B001', name: '基准测试局', regionCode: '320115' });
  let started = performance.now();
  const items: Array<{ itemId: number; archiveCode: string }> = [];
  // Text of random base64 (the content check accepts it as text; barely compressible), different for
  // every file (the same content would be stored once).
  const noise = Buffer.from(crypto.randomBytes(FILE_BYTES + 4096).toString('base64'));
  for (let start = 0; start < ITEMS; start += 1000) {
    const filed = await fileItems(
      db,
      generateItemBatch('transfer', 'B001', '320115', start, Math.min(1000, ITEMS - start)),
      'bench',
      { access: SYSTEM },
    );
    const ids = new Map(
      (
        await db
          .selectFrom('archive_item')
          .select(['id', 'archive_code'])
          .where(
            'archive_code',
            'in',
            filed.map((item) => item.archiveCode),
          )
          .execute()
      ).map((row) => [row.archive_code, Number(row.id)]),
    );
    for (let from = 0; from < filed.length; from += 100) {
      const chunk = filed.slice(from, from + 100);
      const staged = await Promise.all(
        chunk.map((item, index) => {
          const offset = (start + from + index) % 4096;
          const body = Buffer.concat([
            Buffer.from(`${item.archiveCode}\n`),
            noise.subarray(offset, offset + FILE_BYTES),
          ]);
          return stageFile(system.store, Readable.from([body]), '扫描件.txt');
        }),
      );
      await inTransaction(db, async (trx) => {
        for (const [index, item] of chunk.entries()) {
          const id = ids.get(item.archiveCode) as number;
          await attachStaged(
            trx,
            system.store,
            { id, archiveCode: item.archiveCode },
            { staged: staged[index] as Awaited<ReturnType<typeof stageFile>>, fileName: '扫描件.txt' },
            'bench',
            { done: false },
          );
          items.push({ itemId: id, archiveCode: item.archiveCode });
        }
      });
    }
  }
  console.log(
    `set-up: ${ITEMS} items, one ${(FILE_BYTES / 1024).toFixed(0)} KB file each, on 2 replicas in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );

  const batches: BatchSource = {
    batchForExport: async () => ({ code: CODE, fonds: 'B001', kind: 'fonds', drawnBy: 'bench', items }),
    markExported: async () => {},
  };
  // BENCH_TRANSFER_CONCURRENCY=1,4,8: first export the batch with that many items written at once.
  const concurrencyEnv = process.env.BENCH_TRANSFER_CONCURRENCY;
  if (concurrencyEnv) {
    for (const concurrency of concurrencyEnv.split(',').map(Number)) {
      const at = performance.now();
      const out = path.join(home, `trial-${concurrency}`);
      await exportBatch(
        { db, store: system.store, signingKey: system.signingKey, digest: 'sha256', home, batches },
        SYSTEM,
        CODE,
        { concurrency, out },
      );
      console.log(`trial: ${concurrency} items at once ${((performance.now() - at) / 1000).toFixed(1)} s`);
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  let peak = 0;
  const baseline = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  started = performance.now();
  const result = await exportBatch(
    { db, store: system.store, signingKey: system.signingKey, digest: 'sha256', home, batches },
    SYSTEM,
    CODE,
  );
  const packSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);

  // The same decrypted files, as tar reads them: every files/ entry of the bag.
  const list = path.join(home, 'files.list');
  const data = path.join(result.dir, 'data');
  const names = items.map((item) => `${item.archiveCode}/files/扫描件.txt`);
  fs.writeFileSync(list, `${names.join('\n')}\n`);
  const fileBytes = names.reduce((sum, name) => sum + fs.statSync(path.join(data, name)).size, 0);
  const tarFile = path.join(home, 'baseline.tar');
  started = performance.now();
  execFileSync('tar', ['-cf', tarFile, '-C', data, '-T', list]);
  const tarSeconds = (performance.now() - started) / 1000;
  fs.rmSync(tarFile);

  started = performance.now();
  const report = await validateBag(result.dir);
  const validateSeconds = (performance.now() - started) / 1000;
  if (!report.ok) throw new Error(`bag invalid: ${report.problems[0]?.message}`);

  const mb = fileBytes / 1024 / 1024;
  const pack = mb / packSeconds;
  const tar = mb / tarSeconds;
  console.log(
    `pack ${pack.toFixed(1)} MB/s (${packSeconds.toFixed(1)} s, ${result.items} items, ${result.files} files, ${mb.toFixed(0)} MB of files, bag ${(result.octets / 1024 / 1024).toFixed(0)} MB) | tar of the same decrypted files ${tar.toFixed(1)} MB/s (${tarSeconds.toFixed(1)} s) | ratio ${(pack / tar).toFixed(3)}`,
  );
  console.log(
    `memory while packing: peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB (${((peak - baseline) / 1024 / 1024).toFixed(0)} MB above the start) for ${mb.toFixed(0)} MB of files | receiver's validateBag of the bag ${(result.octets / 1024 / 1024 / validateSeconds).toFixed(1)} MB/s`,
  );
} finally {
  await system.close();
  fs.rmSync(home, { recursive: true, force: true });
}
