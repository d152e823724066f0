import type { Db } from '../../db/database.js';
import type { ScopedQuery } from '../catalog/item.scope.js';
import { destroyedByRegister } from '../catalog/tombstone.js';
import { recordExpectations } from '../disposition/destruction.queries.js';
import { logVerifier, type SigningKey } from '../integrity/checkpoint.service.js';
import type { ProblemList } from '../integrity/verify-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { confirmedShreds, readShredRecords } from '../storage/shred.js';
import { itemRecordKey, registerRecordKey } from '../storage/shred.records.js';

// The replicas' destruction records are what a restore re-applies (review F7): a lost or deleted
// shredded/ directory would go unnoticed until the restore that needs it. Verify lists each replica
// once and checks that every confirmed shred, every destroyed item (once its row is done) and every
// carried-out register has its final, validly signed record on every replica.

export async function verifyRecords(
  context: { db: Db; store: BlobStore; signingKey: SigningKey },
  problems: ProblemList,
  /** Verify's own scope (every item). */
  everyItem: ScopedQuery,
): Promise<number> {
  const { db, store } = context;
  let read: Awaited<ReturnType<typeof readShredRecords>>;
  try {
    read = await readShredRecords(store, await logVerifier(db, context.signingKey));
  } catch (error) {
    problems.add(
      'record.unreadable',
      '副本上的销毁记录',
      `副本上的销毁记录无法读取：${(error as Error).message}`,
    );
    return 0;
  }
  const expected: Array<{ key: string; record: string }> = [];
  for (const digest of await confirmedShreds(db)) expected.push({ key: digest, record: `文件 ${digest}` });
  const { waiting, registers } = await recordExpectations(db);
  for (const codes of (await destroyedByRegister(db, everyItem)).values())
    for (const code of codes)
      if (!waiting.has(code)) expected.push({ key: itemRecordKey(code), record: `档案 ${code}` });
  for (const code of registers) expected.push({ key: registerRecordKey(code), record: `销毁清册 ${code}` });
  let checked = 0;
  for (const replica of store.replicas) {
    const held = read.finalKeys.get(replica.name) ?? new Set<string>();
    for (const { key, record } of expected) {
      checked += 1;
      if (!held.has(key))
        problems.add(
          'record.missing',
          record,
          `${record} 已销毁，但副本“${replica.name}”上没有其签名的销毁记录（恢复备份时将无法据此防止复活）`,
        );
    }
  }
  return checked;
}
