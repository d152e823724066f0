import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { SystemContext } from '../../shared/access-context.js';
import { archiveCodeOf } from '../catalog/item.queries.js';
import type { CopyStatus } from './storage.tables.js';

// The only SQL for blobs, their copies and the files attached to items.

export interface BlobRow {
  digest: string;
  size: number;
  storedDigest: string;
  storedSize: number;
  suite: 'aes-256-gcm' | 'sm4';
  keyId: string;
  wrappedKey: Buffer;
  /** Set once the data key was destroyed (crypto-shred): the content can never be read again. */
  shred?: ShredMark | null;
}

export interface ShredMark {
  register: string;
  at: Date;
  /** When every replica confirmed its copy deleted; null while a replica is still to confirm. */
  confirmedAt: Date | null;
}

const blobColumns = [
  'digest',
  'size',
  'stored_digest as storedDigest',
  'stored_size as storedSize',
  'suite',
  'key_id as keyId',
  'wrapped_key as wrappedKey',
  'shredded_at as shreddedAt',
  'shred_register as shredRegister',
  'shred_confirmed_at as shredConfirmedAt',
] as const;

function toBlob(row: Record<string, unknown>): BlobRow {
  const { shreddedAt, shredRegister, shredConfirmedAt, ...rest } = row;
  return {
    ...(rest as unknown as BlobRow),
    wrappedKey: Buffer.from(row.wrappedKey as Uint8Array),
    shred: shreddedAt
      ? {
          register: String(shredRegister),
          at: new Date(shreddedAt as Date),
          confirmedAt: shredConfirmedAt ? new Date(shredConfirmedAt as Date) : null,
        }
      : null,
  };
}

/** Claims a digest; false when it is already stored (the caller's row lock waits for a concurrent claim). */
export async function insertBlob(db: Db, blob: BlobRow): Promise<boolean> {
  const inserted = await db
    .insertInto('storage_blob')
    .values({
      digest: blob.digest,
      size: blob.size,
      stored_digest: blob.storedDigest,
      stored_size: blob.storedSize,
      suite: blob.suite,
      key_id: blob.keyId,
      wrapped_key: blob.wrappedKey,
    })
    .onConflict((conflict) => conflict.column('digest').doNothing())
    .returning('digest')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findBlob(db: Db, digest: string): Promise<BlobRow | undefined> {
  const row = await db
    .selectFrom('storage_blob')
    .select(blobColumns)
    .where('digest', '=', digest)
    .executeTakeFirst();
  return row && toBlob(row);
}

/** The blobs of these digests, by digest, in one statement. */
export async function findBlobs(db: Db, digests: readonly string[]): Promise<Map<string, BlobRow>> {
  if (digests.length === 0) return new Map();
  const rows = await db
    .selectFrom('storage_blob')
    .select(blobColumns)
    .where('digest', 'in', [...new Set(digests)])
    .execute();
  return new Map(rows.map((row) => [row.digest, toBlob(row)]));
}

/** Blobs in digest order; shredded ones only when asked (verify), never for fixity's copying. */
export async function blobsAfter(
  db: Db,
  afterDigest: string,
  limit: number,
  withShredded = false,
): Promise<BlobRow[]> {
  const rows = await db
    .selectFrom('storage_blob')
    .select(blobColumns)
    .where('digest', '>', afterDigest)
    .$if(!withShredded, (query) => query.where('shredded_at', 'is', null))
    .orderBy('digest')
    .limit(limit)
    .execute();
  return rows.map(toBlob);
}

export async function sampleBlobs(db: Db, count: number): Promise<BlobRow[]> {
  const rows = await db
    .selectFrom('storage_blob')
    .select(blobColumns)
    .where('shredded_at', 'is', null)
    .orderBy(sql`random()`)
    .limit(count)
    .execute();
  return rows.map(toBlob);
}

/** The `count` blobs whose copies were checked longest ago (never-checked ones first): a rotating audit. */
export async function blobsCheckedLongestAgo(db: Db, count: number): Promise<BlobRow[]> {
  const rows = await db
    .selectFrom('storage_blob')
    .select(blobColumns)
    .where('shredded_at', 'is', null)
    .orderBy(
      sql`(select min(c.checked_at) from storage_copy c where c.digest = storage_blob.digest) asc nulls first`,
    )
    .orderBy('digest')
    .limit(count)
    .execute();
  return rows.map(toBlob);
}

export async function countBlobs(db: Db): Promise<{ blobs: number; bytes: number }> {
  const row = await db
    .selectFrom('storage_blob')
    .select((eb) => [
      eb.fn.countAll<number>().as('blobs'),
      eb.fn.coalesce(eb.fn.sum<number>('stored_size'), eb.lit(0)).as('bytes'),
    ])
    .where('shredded_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { blobs: Number(row.blobs), bytes: Number(row.bytes) };
}

export async function setCopies(
  db: Db,
  digest: string,
  replicas: readonly string[],
  status: CopyStatus,
): Promise<void> {
  if (replicas.length === 0) return;
  await db
    .insertInto('storage_copy')
    .values(replicas.map((replica) => ({ digest, replica, status, checked_at: new Date() })))
    .onConflict((conflict) =>
      conflict.columns(['digest', 'replica']).doUpdateSet({ status, checked_at: new Date() }),
    )
    .execute();
}

export async function copiesOf(
  db: Db,
  digests: readonly string[],
): Promise<Map<string, Map<string, CopyStatus>>> {
  const result = new Map<string, Map<string, CopyStatus>>();
  if (digests.length === 0) return result;
  const rows = await db
    .selectFrom('storage_copy')
    .select(['digest', 'replica', 'status'])
    .where('digest', 'in', [...digests])
    .execute();
  for (const row of rows) {
    const copies = result.get(row.digest) ?? new Map<string, CopyStatus>();
    copies.set(row.replica, row.status);
    result.set(row.digest, copies);
  }
  return result;
}

export interface AttachedFileRow {
  fileNumber: number;
  digest: string;
  fileName: string;
  mediaType: string;
  size: number;
  addedBy: string;
  addedAt: Date;
  /** The 销毁清册 that destroyed the item (its file is no longer readable), else null. */
  destroyedRegister?: string | null;
}

export async function nextFileNumber(db: Db, itemId: number): Promise<number> {
  const row = await db
    .selectFrom('item_file')
    .select((eb) => eb.fn.max<number | null>('file_number').as('last'))
    .where('item_id', '=', itemId)
    .executeTakeFirst();
  return (row?.last ?? 0) + 1;
}

export async function insertItemFile(
  db: Db,
  itemId: number,
  file: Omit<AttachedFileRow, 'addedAt'> & { sealedOriginalName?: string | null },
): Promise<void> {
  await db
    .insertInto('item_file')
    .values({
      item_id: itemId,
      file_number: file.fileNumber,
      digest: file.digest,
      file_name: file.fileName,
      original_name: file.sealedOriginalName ?? null,
      media_type: file.mediaType,
      size: file.size,
      added_by: file.addedBy,
    })
    .execute();
}

const fileColumns = [
  'file_number as fileNumber',
  'digest',
  'file_name as fileName',
  'media_type as mediaType',
  'size',
  'added_by as addedBy',
  'added_at as addedAt',
  'destroyed_register as destroyedRegister',
] as const;

export async function listItemFiles(db: Db, itemId: number): Promise<AttachedFileRow[]> {
  return db
    .selectFrom('item_file')
    .select(fileColumns)
    .where('item_id', '=', itemId)
    .orderBy('file_number')
    .execute();
}

/** The files of these items, by item id, each item's in file order, in one statement. */
export async function listFilesOfItems(
  db: Db,
  itemIds: readonly number[],
): Promise<Map<number, AttachedFileRow[]>> {
  const out = new Map<number, AttachedFileRow[]>();
  if (itemIds.length === 0) return out;
  const rows = await db
    .selectFrom('item_file')
    .select(['item_id', ...fileColumns])
    .where(sql<boolean>`item_id = any(${[...itemIds]}::bigint[])`)
    .orderBy('item_id')
    .orderBy('file_number')
    .execute();
  for (const { item_id, ...row } of rows) {
    const id = Number(item_id);
    out.set(id, [...(out.get(id) ?? []), row]);
  }
  return out;
}

/** The digests of each item's files, by item id (items without files are left out), in one statement. */
export async function fileDigestsOf(db: Db, itemIds: readonly number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (itemIds.length === 0) return out;
  const { rows } = await sql<{ item_id: number; digest: string }>`select item_id, digest from item_file
    where item_id = any(${[...itemIds]}::bigint[]) order by item_id, file_number`.execute(db);
  for (const row of rows) {
    const id = Number(row.item_id);
    out.set(id, [...(out.get(id) ?? []), row.digest]);
  }
  return out;
}

export async function findItemFile(
  db: Db,
  itemId: number,
  fileNumber: number,
): Promise<AttachedFileRow | undefined> {
  return db
    .selectFrom('item_file')
    .select(fileColumns)
    .where('item_id', '=', itemId)
    .where('file_number', '=', fileNumber)
    .executeTakeFirst();
}

/** All attachments with their item's 档号, in batches (verify). */
export async function itemFilesAfter(
  db: Db,
  after: { itemId: number; fileNumber: number },
  limit: number,
  // Every file of every item: only a system caller (verify) holds one.
  _system: SystemContext,
): Promise<Array<AttachedFileRow & { itemId: number; archiveCode: string }>> {
  return db
    .selectFrom('item_file as f')
    .select([
      'f.item_id as itemId',
      archiveCodeOf(sql.ref('f.item_id')).as('archiveCode'),
      'f.file_number as fileNumber',
      'f.digest',
      'f.file_name as fileName',
      'f.media_type as mediaType',
      'f.size',
      'f.added_by as addedBy',
      'f.added_at as addedAt',
    ])
    .where((eb) =>
      eb.or([
        eb('f.item_id', '>', after.itemId),
        eb.and([eb('f.item_id', '=', after.itemId), eb('f.file_number', '>', after.fileNumber)]),
      ]),
    )
    .orderBy('f.item_id')
    .orderBy('f.file_number')
    .limit(limit)
    .execute();
}

export async function blobsNotUnderKey(db: Db, keyId: string, limit: number): Promise<BlobRow[]> {
  const rows = await db
    .selectFrom('storage_blob')
    .select(blobColumns)
    .where('key_id', '<>', keyId)
    .where('shredded_at', 'is', null)
    .limit(limit)
    .execute();
  return rows.map(toBlob);
}

export async function rewrapBlob(
  db: Db,
  digest: string,
  fromKeyId: string,
  keyId: string,
  wrappedKey: Buffer,
): Promise<boolean> {
  const result = await db
    .updateTable('storage_blob')
    .set({ key_id: keyId, wrapped_key: wrappedKey })
    .where('digest', '=', digest)
    .where('key_id', '=', fromKeyId)
    .where('shredded_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function keyUsage(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('storage_blob')
    .select(['key_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where('shredded_at', 'is', null)
    .groupBy('key_id')
    .execute();
  return new Map(rows.map((row) => [row.key_id, Number(row.count)]));
}

/** After a restore the copies are where this machine's replicas are, not where the backup's were. */
export async function resetCopies(db: Db, replicas: readonly string[]): Promise<void> {
  await db.deleteFrom('storage_copy').execute();
  for (const replica of replicas) {
    await sql`
      insert into storage_copy (digest, replica, status, checked_at)
      select digest, ${replica}, 'ok', now() from storage_blob where shredded_at is null`.execute(db);
  }
}
