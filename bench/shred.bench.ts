import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../src/config/config.js';
import { inTransaction } from '../src/db/transaction.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { findItemsByIds, lockItem } from '../src/modules/catalog/item.queries.js';
import { maskItem } from '../src/modules/catalog/item.mask.js';
import type { Item } from '../src/modules/catalog/item.schema.js';
import { scopedQuery } from '../src/modules/catalog/item.scope.js';
import { destroyItem } from '../src/modules/disposition/destruction.carry.js';
import { finalizeRowRecord } from '../src/modules/disposition/destruction.records.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import type { DirectoryReplica } from '../src/modules/storage/directory-replica.js';
import { attachStaged, stageFile } from '../src/modules/storage/file.service.js';
import { confirmShred } from '../src/modules/storage/shred.js';
import { openSystem } from '../src/system/system.js';
import { SYSTEM } from '../test/helpers/fixture-access.js';

// Carrying out a destruction of electronic items (PGlite, two directory replicas): per item, in one
// transaction, the carry-out's destroyItem (the item's and its blob's signed records written pending and
// fsynced on both replicas, key destroyed, search/scan/copy rows and file names gone, tombstone with
// item.destroyed), then every copy deleted with blob.shredded logged and the item's record made final —
// items/s against deleting the same blobs directly (an unlink of each copy on both replicas, no record,
// no log), measured in the same run on copies of the very same blob files. The register job's own row
// states are not included.

const ITEMS = Number(process.env.BENCH_SHRED_ITEMS ?? 10_000);
const FILE_KB = Number(process.env.BENCH_SHRED_FILE_KB ?? 8);
const REGISTER = 'XH-B001-2026-1';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-shred-'));
const system = await openSystem(
  loadConfig({ YIDANG_HOME: home, YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2' }),
  {
    initialize: true,
  },
);
try {
  const db = system.database.db;
  const replicas = system.store.replicas as DirectoryReplica[];
  await createFonds(db, { code: 'B001', name: '基准测试局', regionCode: '320115' });
  let started = performance.now();
  const items: Array<{ id: number; archiveCode: string; digest: string }> = [];
  const filler = 'x'.repeat(FILE_KB * 1024);
  for (let start = 0; start < ITEMS; start += 1000) {
    const filed = await fileItems(
      db,
      generateItemBatch('shred', 'B001', '320115', start, Math.min(1000, ITEMS - start)),
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
      ).map((row) => [row.archive_code, row.id]),
    );
    // Set-up only: files staged on both replicas, then attached 100 to a transaction.
    for (let from = 0; from < filed.length; from += 100) {
      const chunk = filed.slice(from, from + 100);
      const staged = await Promise.all(
        chunk.map((item) =>
          stageFile(system.store, Readable.from([Buffer.from(`${item.archiveCode}\n${filler}`)]), 'scan.txt'),
        ),
      );
      await inTransaction(db, async (trx) => {
        for (const [index, item] of chunk.entries()) {
          const id = ids.get(item.archiveCode) as number;
          const file = staged[index] as Awaited<ReturnType<typeof stageFile>>;
          await attachStaged(
            trx,
            system.store,
            { id, archiveCode: item.archiveCode },
            { staged: file, fileName: 'scan.txt' },
            'bench',
            { done: false },
          );
          items.push({ id, archiveCode: item.archiveCode, digest: file.digest });
        }
      });
    }
  }
  console.log(
    `set-up: ${ITEMS} items with a ${FILE_KB} KB file each on 2 replicas in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  // The baseline's blobs: copies of the same blob files, beside them on the same file systems.
  const copies = items.flatMap((item) =>
    replicas.map((replica) => {
      const copy = path.join(replica.root, 'direct', item.digest.slice('sha256:'.length));
      fs.mkdirSync(path.dirname(copy), { recursive: true });
      fs.copyFileSync(replica.blobPath(item.digest), copy);
      return copy;
    }),
  );

  started = performance.now();
  for (let index = 0; index < copies.length; index += 2) {
    await fs.promises.rm(copies[index] as string);
    await fs.promises.rm(copies[index + 1] as string);
  }
  const directSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const context = { db, store: system.store, signingKey: system.signingKey };
  for (const item of items) {
    const at = new Date();
    const destroyed = await inTransaction(db, async (trx) => {
      await lockItem(trx, item.id);
      const [found] = await findItemsByIds(trx, [item.id], scopedQuery(SYSTEM));
      const title = maskItem(found as Item).title;
      return {
        title,
        ...(await destroyItem(trx, context, SYSTEM, found as Item, {
          register: REGISTER,
          title,
          actor: 'bench',
          at,
        })),
      };
    });
    for (const digest of destroyed.shredded) await confirmShred(db, system, digest, 'bench');
    await finalizeRowRecord(context, REGISTER, {
      item_id: item.id,
      archive_code: item.archiveCode,
      title: destroyed.title,
      destroyed_digest: destroyed.digest,
      destroyed_at: at,
    });
  }
  const carrySeconds = (performance.now() - started) / 1000;
  const left = replicas.filter((replica) =>
    items.some((item) => fs.existsSync(replica.blobPath(item.digest))),
  );
  if (left.length > 0) throw new Error(`copies left on ${left.map((replica) => replica.name).join(', ')}`);

  const carry = ITEMS / carrySeconds;
  const direct = ITEMS / directSeconds;
  console.log(
    `carry-out ${carry.toFixed(0).padStart(6)} items/s (${carrySeconds.toFixed(1)} s) | deleting the same blobs directly ${direct.toFixed(0)} items/s (${directSeconds.toFixed(2)} s) | ratio ${(carry / direct).toFixed(3)} (${ITEMS} items, 2 directory replicas, PGlite)`,
  );
} finally {
  await system.close();
  fs.rmSync(home, { recursive: true, force: true });
}
