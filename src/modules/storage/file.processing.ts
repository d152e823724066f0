import type { Readable } from 'node:stream';
import type { Db } from '../../db/database.js';
import type { SystemContext } from '../../shared/access-context.js';
import { notFound } from '../../shared/errors.js';
import { type BlobStore, shreddedError } from './blob-store.js';
import { type AttachedFileRow, copiesOf, findBlobs, listFilesOfItems } from './file.repo.js';
import { goodReplicas, reportCopyProblem } from './file.service.js';

// The files of many items opened for processing at once (a transfer package's export job, a system
// caller): their rows, blobs and copies read in three statements for the lot instead of four per
// file, and each copy read once (BlobStore.openOnce) instead of hashed whole before it is decrypted.

export interface FileToProcess {
  file: AttachedFileRow;
  /**
   * The plain content and the replica it is read from; the stream fails rather than ends if the copy
   * is bad (reported, then): open again with that replica in `skip` to read another.
   */
  open: (skip?: ReadonlySet<string>) => Promise<{ stream: Readable; replica: string }>;
}

export async function filesForProcessing(
  context: { db: Db; store: BlobStore; access: SystemContext },
  itemIds: readonly number[],
  actor: string,
): Promise<Map<number, FileToProcess[]>> {
  const files = await listFilesOfItems(context.db, itemIds);
  const digests = [...new Set([...files.values()].flat().map((row) => row.digest))];
  const [blobs, copies] = await Promise.all([findBlobs(context.db, digests), copiesOf(context.db, digests)]);
  const out = new Map<number, FileToProcess[]>();
  for (const [itemId, rows] of files)
    out.set(
      itemId,
      rows.map((row) => ({
        file: row,
        open: async (skip) => {
          // Destroyed with its item, even when the same content lives on for another item.
          if (row.destroyedRegister) throw shreddedError(row.digest, row.destroyedRegister);
          const blob = blobs.get(row.digest);
          if (!blob) throw notFound('FILE_NOT_FOUND', `文件 ${row.digest} 的存储记录缺失`);
          return context.store.openOnce(
            blob,
            (replica, problem) =>
              reportCopyProblem(context.db, blob.digest, replica, problem, actor, 'processing'),
            goodReplicas(copies.get(row.digest)),
            skip,
          );
        },
      })),
    );
  return out;
}
