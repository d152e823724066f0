import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { idNumberIndex, sealIdNumber } from '../../shared/field-cipher.js';
import { userStates } from '../access/state.repo.js';
import { recordEvents } from '../integrity/event-log.js';

// The SQL that brings ID numbers stored before field encryption under it: items, their kept
// versions and 参保人 accounts, in batches, each batch in its own transaction.

const BATCH = 1000;

/** Whether any ID number is already stored encrypted (then the field key must not be replaced). */
export async function hasSealedIdNumbers(db: Db): Promise<boolean> {
  const found = await sql<{ found: number }>`
    select 1 as found where exists (select 1 from archive_item where id_number like 'v1:%')
       or exists (select 1 from app_user where id_number like 'v1:%')`.execute(db);
  return found.rows.length > 0;
}

/** Encrypts every ID number still stored in the clear; returns how many values were sealed. */
export async function sealPlainIdNumbers(db: Db): Promise<number> {
  let sealed = 0;
  for (const table of ['archive_item', 'app_user'] as const) {
    for (;;) {
      const rows = await sql<{ id: number; id_number: string }>`
        select id, id_number from ${sql.table(table)}
        where id_number is not null and id_number not like 'v1:%' limit ${BATCH}`.execute(db);
      if (rows.rows.length === 0) break;
      await inTransaction(db, async (trx) => {
        for (const row of rows.rows)
          await sql`update ${sql.table(table)} set id_number = ${sealIdNumber(row.id_number.trim())},
            id_number_index = ${idNumberIndex(row.id_number)} where id = ${row.id}`.execute(trx);
        // An account's sealed ID number is part of the state the log fingerprints (an item's is not:
        // its digest covers the number in the clear), so sealing one is a logged change.
        if (table === 'app_user') {
          const states = await userStates(
            trx,
            rows.rows.map((row) => row.id),
          );
          recordEvents(
            trx,
            [...states].map(([subject, state]) => ({
              actor: 'system',
              action: 'user.id_number_sealed',
              subject,
              payload: {},
              state,
            })),
          );
        }
      });
      sealed += rows.rows.length;
    }
  }
  for (;;) {
    const rows = await sql<{ item_id: number; version: number; id_number: string }>`
      select item_id, version, snapshot ->> 'idNumber' as id_number from archive_item_version
      where snapshot ->> 'idNumber' is not null and snapshot ->> 'idNumber' not like 'v1:%' limit ${BATCH}`.execute(
      db,
    );
    if (rows.rows.length === 0) break;
    await db.transaction().execute(async (trx) => {
      for (const row of rows.rows)
        await sql`update archive_item_version
          set snapshot = jsonb_set(snapshot, '{idNumber}', to_jsonb(${sealIdNumber(row.id_number.trim())}::text))
          where item_id = ${row.item_id} and version = ${row.version}`.execute(trx);
    });
    sealed += rows.rows.length;
  }
  return sealed;
}
