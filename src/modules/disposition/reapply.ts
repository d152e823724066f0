import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { systemContext } from '../../shared/access-context.js';
import { maskItem } from '../catalog/item.mask.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { destroyedOf, tombstoneItem } from '../catalog/tombstone.js';
import { logVerifier, type SigningKey } from '../integrity/checkpoint.service.js';
import { forgetCopyContent } from '../insured/insured.queries.js';
import { forgetScannedPages } from '../scan/scan.queries.js';
import { forgetItemText } from '../search/search.queries.js';
import type { BlobStore } from '../storage/blob-store.js';
import {
  applyShredRecord,
  deleteEveryCopy,
  existingBlobs,
  type RefusedShredRecord,
  type ReplicaRecords,
  readShredRecords,
  type VerifiedShredRecord,
} from '../storage/shred.js';
import { forgetFileNames, markFilesDestroyed } from '../storage/shred.js';
import { listItemFiles } from '../storage/storage.queries.js';
import { itemRecord } from './destruction.records.js';
import { writeToEveryReplica } from '../storage/shred.records.js';
import { bumpRegisterNumbers } from './reapply.registers.js';

// Restore never resurrects: a backup taken before a destruction holds the destroyed items and their
// blobs' keys. After the rows are loaded, every replica's signed shred records are applied again —
// the blobs' keys emptied and their copies deleted, the items (from the blobs' records and from the
// items' own records, which paper and file-less items have too) reduced to tombstones with an event
// saying so, their search and OCR rows gone as in the carry-out — before a single blob is written
// back; and every register the records name keeps its number issued.

const RESTORE = systemContext('restore');
const EVERY_ITEM = scopedQuery(RESTORE);
const BATCH = 500;

export interface ReapplyReport {
  /** Verified records found on the replicas. */
  records: number;
  /** Blobs whose keys were destroyed again. */
  blobs: string[];
  /** Items reduced to tombstones again. */
  items: string[];
  /** Records refused (unsigned, forged, malformed, or still pending): reported, never applied. */
  refused: RefusedShredRecord[];
  /** Registers the replicas' records name that the restored database does not hold (lost with it). */
  registersOnlyInRecords: string[];
}

interface ItemEntry {
  register: string;
  at: Date;
  blobs: string[];
  /** From the item's own record: the register's title and the digest the carry-out took. */
  title?: string;
  digest?: string;
  files?: string[];
}

export async function reapplyShreds(
  db: Db,
  context: { store: BlobStore; signingKey: SigningKey },
  actor = 'system:restore',
  /** Read before the rows were loaded (restore does, so an unreadable replica stops it before any write). */
  read?: ReplicaRecords,
): Promise<ReapplyReport> {
  // The restored log's own key: a record signed by anyone else is not the system's.
  const {
    records,
    refused,
    items: itemRecords,
    registers,
  } = read ?? (await readShredRecords(context.store, await logVerifier(db, context.signingKey)));
  const ordered = [...records.values()].sort(
    (a, b) => a.shreddedAt.localeCompare(b.shreddedAt) || a.digest.localeCompare(b.digest),
  );
  const report: ReapplyReport = {
    records: ordered.length + itemRecords.size + registers.size,
    blobs: [],
    items: [],
    refused,
    registersOnlyInRecords: [],
  };
  // Per item: the register and time of its first destruction and every blob destroyed with it.
  const byItem = new Map<string, ItemEntry>();
  for (let start = 0; start < ordered.length; start += BATCH) {
    const batch = ordered.slice(start, start + BATCH);
    const present = await existingBlobs(
      db,
      batch.map((record) => record.digest),
    );
    const items = await findItemsByCodes(
      db,
      [...new Set(batch.flatMap((record) => record.items))],
      EVERY_ITEM,
    );
    const idOf = new Map(items.map((item) => [item.archiveCode, item.id]));
    // Copies first: a blob whose row says shredded must have no copy left anywhere.
    for (const record of batch)
      if (record.keyDestroyed && present.has(record.digest))
        await deleteEveryCopy(context.store, record.digest);
    await inTransaction(db, async (trx) => {
      for (const record of batch) {
        const ids = record.items.flatMap((code) => idOf.get(code) ?? []);
        if (present.has(record.digest) && (await applyShredRecord(trx, record, ids, actor)))
          report.blobs.push(record.digest);
        for (const code of record.items) {
          if (!idOf.has(code)) continue;
          const entry = byItem.get(code) ?? {
            register: record.register,
            at: new Date(record.shreddedAt),
            blobs: [],
          };
          if (record.keyDestroyed) entry.blobs.push(record.digest);
          byItem.set(code, entry);
        }
      }
    });
  }
  // The items' own records: paper and file-less items, and the title and digest the carry-out took.
  for (const record of itemRecords.values()) {
    const entry = byItem.get(record.archiveCode);
    byItem.set(record.archiveCode, {
      register: record.register,
      at: new Date(record.destroyedAt),
      blobs: entry?.blobs ?? [],
      title: record.title,
      digest: record.destroyedDigest,
      files: record.files,
    });
  }
  await tombstoneAgain(db, context, byItem, actor, report);
  report.registersOnlyInRecords = await bumpRegisterNumbers(
    db,
    [...registers.values()],
    [...new Set([...byItem.values()].map((entry) => entry.register))],
    actor,
  );
  return report;
}

/** Each item still alive in the restored rows becomes its tombstone again, in its own transaction. */
async function tombstoneAgain(
  db: Db,
  context: { store: BlobStore; signingKey: SigningKey },
  byItem: Map<string, ItemEntry>,
  actor: string,
  report: ReapplyReport,
): Promise<void> {
  const codes = [...byItem.keys()];
  for (let start = 0; start < codes.length; start += BATCH) {
    const items = await findItemsByCodes(db, codes.slice(start, start + BATCH), EVERY_ITEM);
    const destroyed = await destroyedOf(
      db,
      items.map((item) => item.id),
    );
    for (const item of items) {
      const entry = byItem.get(item.archiveCode);
      if (!entry || destroyed.has(item.id)) continue;
      const title = entry.title ?? maskItem(item).title;
      const files = await inTransaction(db, async (trx) => {
        const files = (await listItemFiles(trx, item.id)).map((file) => file.digest);
        // What the carry-out removes with the item: its search document, OCR page text and page rows.
        await forgetItemText(trx, item.id);
        await forgetScannedPages(trx, item.id);
        await forgetCopyContent(trx, item.archiveCode);
        await markFilesDestroyed(trx, [item.id], entry.register);
        await forgetFileNames(trx, item.id);
        const tombstone = await tombstoneItem(trx, RESTORE, item.id, {
          register: entry.register,
          actor,
          at: entry.at,
          // As the register shows it (the carry-out's own title): the person's name masked.
          title,
          fileDigests: files,
          blobs: entry.blobs,
          // The digest the carry-out took (of the item as it was then, not as this older backup has it).
          ...(entry.digest ? { digest: entry.digest } : {}),
          reapplied: true,
        });
        return { files, digest: tombstone.digest };
      });
      // Every replica of this home holds the item's record from now on (verify looks for it).
      await writeToEveryReplica(context.store, [
        await itemRecord(
          db,
          context.signingKey,
          {
            archiveCode: item.archiveCode,
            register: entry.register,
            title,
            destroyedDigest: files.digest,
            files: entry.files ?? files.files,
            at: entry.at,
          },
          true,
        ),
      ]);
      report.items.push(item.archiveCode);
    }
  }
}

export type { VerifiedShredRecord };
