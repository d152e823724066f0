import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';

// The SQL of crypto-shredding: storage_blob's shred columns and item_file's destroyed mark.

/** The blobs each item's files point at. */
export async function digestsOfItems(db: Db, itemIds: readonly number[]): Promise<Map<number, Set<string>>> {
  const result = new Map<number, Set<string>>();
  if (itemIds.length === 0) return result;
  const rows = await db
    .selectFrom('item_file')
    .select(['item_id', 'digest'])
    .where('item_id', 'in', [...itemIds])
    .execute();
  for (const row of rows) result.set(row.item_id, (result.get(row.item_id) ?? new Set()).add(row.digest));
  return result;
}

/**
 * Locks the blob rows (in digest order, so two shreds never deadlock): per blob, whether it is
 * shredded already and the last record written for it (a kept blob's too).
 */
export async function lockBlobs(
  db: Db,
  digests: readonly string[],
): Promise<Map<string, { shredded: boolean; record: string | null }>> {
  if (digests.length === 0) return new Map();
  const rows = await db
    .selectFrom('storage_blob')
    .select(['digest', 'shredded_at', 'shred_record'])
    .where('digest', 'in', [...digests])
    .orderBy('digest')
    .forUpdate()
    .execute();
  return new Map(
    rows.map((row) => [row.digest, { shredded: row.shredded_at !== null, record: row.shred_record }]),
  );
}

/** The blob's row lock for an attachment of content already stored; its shred mark if any. */
export async function shareLockBlob(db: Db, digest: string): Promise<string | null | undefined> {
  const row = await db
    .selectFrom('storage_blob')
    .select(['shred_register'])
    .where('digest', '=', digest)
    .forShare()
    .executeTakeFirst();
  return row ? row.shred_register : undefined;
}

export async function markItemFilesDestroyed(
  db: Db,
  itemIds: readonly number[],
  register: string,
): Promise<void> {
  if (itemIds.length === 0) return;
  // The name as given (sealed: it may hold an ID number) goes with the item; the masked name stays
  // until the tombstone (forgetFileNames). Raw SQL: original_name is otherwise never updated.
  await sql`update item_file set destroyed_register = ${register}, original_name = null
    where item_id = any(${[...itemIds]}::bigint[]) and destroyed_register is null`.execute(db);
}

/**
 * With the tombstone: the files' names go too (they often name the person) — 文件<n> with the
 * extension kept, as neutralFileName says (verify expects it of a destroyed item's files).
 */
export async function forgetFileNames(db: Db, itemId: number): Promise<void> {
  // Idempotent: a neutral name maps to itself.
  await sql`update item_file set original_name = null,
      file_name = '文件' || file_number || coalesce(substring(file_name from '(\\.[A-Za-z0-9]{1,10})$'), '')
    where item_id = ${itemId}`.execute(db);
}

/**
 * Per blob: how many items not destroyed still attach it — every item, whatever the caller's scope
 * (an item outside it still keeps its blob alive); counts only, no item is read.
 */
export async function liveReferences(
  db: Db,
  digests: readonly string[],
  _access: AccessContext,
): Promise<Map<string, number>> {
  const result = new Map(digests.map((digest) => [digest, 0]));
  if (digests.length === 0) return result;
  const rows = await db
    .selectFrom('item_file')
    .select(['digest', (eb) => eb.fn.count<number>('item_id').distinct().as('live')])
    .where('digest', 'in', [...digests])
    .where('destroyed_register', 'is', null)
    .groupBy('digest')
    .execute();
  for (const row of rows) result.set(row.digest, Number(row.live));
  return result;
}

/** A blob kept for a live item: the record saying so is kept, its key is not touched. */
export async function setKeptRecord(db: Db, digest: string, record: string): Promise<void> {
  await db
    .updateTable('storage_blob')
    .set({ shred_record: record })
    .where('digest', '=', digest)
    .where('shredded_at', 'is', null)
    .execute();
}

export async function setShredded(
  db: Db,
  digest: string,
  shred: { register: string; at: Date; record: string; confirmedAt?: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('storage_blob')
    .set({
      wrapped_key: Buffer.alloc(0),
      shredded_at: shred.at,
      shred_register: shred.register,
      shred_record: shred.record,
      shred_confirmed_at: shred.confirmedAt ?? null,
    })
    .where('digest', '=', digest)
    .where('shredded_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface ShredRow {
  digest: string;
  shreddedAt: Date | null;
  register: string | null;
  record: string | null;
  confirmedAt: Date | null;
}

export async function findShred(db: Db, digest: string): Promise<ShredRow | undefined> {
  return db
    .selectFrom('storage_blob')
    .select([
      'digest',
      'shredded_at as shreddedAt',
      'shred_register as register',
      'shred_record as record',
      'shred_confirmed_at as confirmedAt',
    ])
    .where('digest', '=', digest)
    .executeTakeFirst();
}

/** Marks the deletion confirmed once; false when another run confirmed it first. */
export async function setShredConfirmed(db: Db, digest: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('storage_blob')
    .set({ shred_confirmed_at: at })
    .where('digest', '=', digest)
    .where('shredded_at', 'is not', null)
    .where('shred_confirmed_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await deleteCopyRows(db, digest);
  return true;
}

/** A shredded blob has no copies to check or repair: fixity and the console stop counting them. */
export async function deleteCopyRows(db: Db, digest: string): Promise<void> {
  await db.deleteFrom('storage_copy').where('digest', '=', digest).execute();
}

export async function unconfirmedShreds(db: Db, register?: string): Promise<string[]> {
  const rows = await db
    .selectFrom('storage_blob')
    .select('digest')
    .where('shredded_at', 'is not', null)
    .where('shred_confirmed_at', 'is', null)
    .$if(register !== undefined, (query) => query.where('shred_register', '=', register as string))
    .orderBy('digest')
    .execute();
  return rows.map((row) => row.digest);
}

/** Which of these blobs the database holds (a restore applies records only to those). */
export async function existingBlobs(db: Db, digests: readonly string[]): Promise<Map<string, boolean>> {
  if (digests.length === 0) return new Map();
  const rows = await db
    .selectFrom('storage_blob')
    .select(['digest', 'shredded_at'])
    .where('digest', 'in', [...digests])
    .execute();
  return new Map(rows.map((row) => [row.digest, row.shredded_at !== null]));
}

/** The item's blobs whose keys this register destroyed (a row finished from its tombstone). */
export async function shreddedFor(db: Db, itemId: number, register: string): Promise<string[]> {
  const rows = await db
    .selectFrom('item_file as f')
    .innerJoin('storage_blob as b', 'b.digest', 'f.digest')
    .select('b.digest')
    .distinct()
    .where('f.item_id', '=', itemId)
    .where('b.shred_register', '=', register)
    .where('b.shredded_at', 'is not', null)
    .orderBy('b.digest')
    .execute();
  return rows.map((row) => row.digest);
}

/** A destroyed file's name: 文件<n> and the extension of the name it had (letters and digits only). */
export function neutralFileName(fileNumber: number, fileName: string): string {
  return `文件${fileNumber}${/(\.[A-Za-z0-9]{1,10})$/.exec(fileName)?.[1] ?? ''}`;
}

/** Every blob whose destruction every replica confirmed (verify: each replica keeps its record). */
export async function confirmedShreds(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('storage_blob')
    .select('digest')
    .where('shred_confirmed_at', 'is not', null)
    .orderBy('digest')
    .execute();
  return rows.map((row) => row.digest);
}
