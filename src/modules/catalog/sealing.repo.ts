import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { idNumberIndex, sealIdNumber } from '../../shared/field-cipher.js';

// The SQL that brings items' ID numbers stored before field encryption under it: items and their kept
// versions, in batches, each batch in its own transaction. (Accounts: access/sealing.repo.ts.)

const BATCH = 1000;

/** Whether any item's ID number is already stored encrypted (then the field key must not be replaced). */
export async function hasSealedItemIdNumbers(db: Db): Promise<boolean> {
  const found = await sql<{ found: number }>`
    select 1 as found where exists (select 1 from archive_item where id_number like 'v1:%')`.execute(db);
  return found.rows.length > 0;
}

/** Encrypts every item ID number still stored in the clear; returns how many values were sealed. */
export async function sealPlainItemIdNumbers(db: Db): Promise<number> {
  let sealed = 0;
  for (;;) {
    const rows = await sql<{ id: number; id_number: string }>`
      select id, id_number from archive_item
      where id_number is not null and id_number not like 'v1:%' limit ${BATCH}`.execute(db);
    if (rows.rows.length === 0) break;
    // An item's digest in the log covers its number in the clear, so sealing it is not a logged change.
    await inTransaction(db, async (trx) => {
      for (const row of rows.rows)
        await sql`update archive_item set id_number = ${sealIdNumber(row.id_number.trim())},
          id_number_index = ${idNumberIndex(row.id_number)} where id = ${row.id}`.execute(trx);
    });
    sealed += rows.rows.length;
  }
  for (;;) {
    const rows = await sql<{ item_id: number; version: number; id_number: string }>`
      select item_id, version, snapshot ->> 'idNumber' as id_number from archive_item_version
      where snapshot ->> 'idNumber' is not null and snapshot ->> 'idNumber' not like 'v1:%' limit ${BATCH}`.execute(
      db,
    );
    if (rows.rows.length === 0) break;
    await inTransaction(db, async (trx) => {
      for (const row of rows.rows)
        await sql`update archive_item_version
          set snapshot = jsonb_set(snapshot, '{idNumber}', to_jsonb(${sealIdNumber(row.id_number.trim())}::text))
          where item_id = ${row.item_id} and version = ${row.version}`.execute(trx);
    });
    sealed += rows.rows.length;
  }
  return sealed;
}
