import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { idNumberIndex, sealIdNumber } from '../../shared/field-cipher.js';
import { recordEvents } from '../integrity/event-log.js';
import { userStates } from './state.repo.js';

// The SQL that brings 参保人 accounts' ID numbers stored before field encryption under it, in
// batches, each batch in its own transaction. (Items: catalog/sealing.repo.ts.)

const BATCH = 1000;

/** Whether any account's ID number is already stored encrypted. */
export async function hasSealedUserIdNumbers(db: Db): Promise<boolean> {
  const found = await sql<{ found: number }>`
    select 1 as found where exists (select 1 from app_user where id_number like 'v1:%')`.execute(db);
  return found.rows.length > 0;
}

/** Encrypts every account ID number still stored in the clear; returns how many values were sealed. */
export async function sealPlainUserIdNumbers(db: Db): Promise<number> {
  let sealed = 0;
  for (;;) {
    const rows = await sql<{ id: number; id_number: string }>`
      select id, id_number from app_user
      where id_number is not null and id_number not like 'v1:%' limit ${BATCH}`.execute(db);
    if (rows.rows.length === 0) break;
    await inTransaction(db, async (trx) => {
      for (const row of rows.rows)
        await sql`update app_user set id_number = ${sealIdNumber(row.id_number.trim())},
          id_number_index = ${idNumberIndex(row.id_number)} where id = ${row.id}`.execute(trx);
      // An account's sealed ID number is part of the state the log fingerprints, so sealing one is a
      // logged change.
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
    });
    sealed += rows.rows.length;
  }
  return sealed;
}
