import { type RawBuilder, sql } from 'kysely';
import type { Db } from './db.js';

// Statements over no table of their own, which several modules' repos use alike.

/** Which of these items the fragment (a SELECT of `item_id`) names: one array parameter, any count. */
export async function itemsAmong(
  db: Db,
  fragment: RawBuilder<{ item_id: number }>,
  itemIds: readonly number[],
): Promise<Set<number>> {
  if (itemIds.length === 0) return new Set();
  const { rows } = await sql<{ item_id: number }>`select distinct f.item_id from (${fragment}) f
    where f.item_id = any(${[...itemIds]}::bigint[])`.execute(db);
  return new Set(rows.map((row) => Number(row.item_id)));
}

/** Today in Beijing by the database's clock (a server clock set back cannot make an item expire early). */
export async function databaseToday(db: Db): Promise<string> {
  const { rows } = await sql<{
    today: string;
  }>`select to_char((now() at time zone 'Asia/Shanghai')::date, 'YYYY-MM-DD') as today`.execute(db);
  return String(rows[0]?.today);
}
