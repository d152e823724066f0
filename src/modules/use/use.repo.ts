import { type Insertable, type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { eventsAfterCountSql } from '../integrity/event.queries.js';
import type { UseEffect, UseKind, UseRegisterTable, UseSubjectTable } from './use.tables.js';

// The only SQL of the use register: its rows, the requests it remembers and how far it has read the
// log. A caller's scope comes in as a condition over the register row `u` (use.service.ts builds it
// with the catalog's scope fragment), so no query here reads rows without one.

export type UseRow = Selectable<UseRegisterTable>;

/** How far the register has read the log, locked for this transaction so followers take turns. */
export async function lockUseState(db: Db): Promise<number> {
  const locked = () =>
    db.selectFrom('use_state').select('last_seq').where('id', '=', 1).forUpdate().executeTakeFirst();
  let row = await locked();
  if (!row) {
    await db
      .insertInto('use_state')
      .values({ id: 1, last_seq: -1 })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    row = await locked();
  }
  return Number(row?.last_seq ?? -1);
}

export async function saveUseState(db: Db, lastSeq: number): Promise<void> {
  await db
    .updateTable('use_state')
    .set({ last_seq: lastSeq, updated_at: new Date() })
    .where('id', '=', 1)
    .execute();
}

/** Where the register has read to (−1: nothing yet), without a lock. */
export async function useStatePosition(db: Db): Promise<number> {
  const row = await db.selectFrom('use_state').select('last_seq').where('id', '=', 1).executeTakeFirst();
  return Number(row?.last_seq ?? -1);
}

export async function rememberSubjects(db: Db, rows: readonly UseSubjectTable[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('use_subject')
    .values([...rows])
    .onConflict((conflict) =>
      conflict.column('subject').doUpdateSet((eb) => ({
        kind: eb.ref('excluded.kind'),
        user_name: eb.ref('excluded.user_name'),
        organisation: eb.ref('excluded.organisation'),
        person: eb.ref('excluded.person'),
        letter_no: eb.ref('excluded.letter_no'),
        purpose: eb.ref('excluded.purpose'),
      })),
    )
    .execute();
}

export async function subjectsNamed(
  db: Db,
  subjects: readonly string[],
): Promise<Map<string, UseSubjectTable>> {
  if (subjects.length === 0) return new Map();
  const rows = await db
    .selectFrom('use_subject')
    .selectAll()
    .where('subject', 'in', [...subjects])
    .execute();
  return new Map(rows.map((row) => [row.subject, row]));
}

/** Rows of the register; a row already there (the same event read again) is left as it is. */
export async function insertUses(db: Db, rows: readonly Insertable<UseRegisterTable>[]): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < rows.length; start += 1000) {
    const result = await db
      .insertInto('use_register')
      .values(rows.slice(start, start + 1000))
      .onConflict((conflict) => conflict.columns(['event_seq', 'ordinal']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

export interface EffectChange {
  seq: number;
  item: string | null;
  effect: UseEffect;
  note: string | null;
  by: string;
  at: Date;
}

/** Sets the 利用效果 of the use read from event `seq` (the row of `item` among its items). */
export async function setEffect(db: Db, change: EffectChange): Promise<number> {
  let query = db
    .updateTable('use_register')
    .set({ effect: change.effect, effect_note: change.note, effect_by: change.by, effect_at: change.at })
    .where('event_seq', '=', change.seq);
  query =
    change.item === null ? query.where('item_code', 'is', null) : query.where('item_code', '=', change.item);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The row of a use within `visible` (a condition over `u`), locked for the transaction. */
export async function findUse(
  db: Db,
  seq: number,
  item: string | null,
  visible: RawBuilder<SqlBool>,
): Promise<UseRow | undefined> {
  let query = db.selectFrom('use_register as u').selectAll('u').where('u.event_seq', '=', seq).where(visible);
  if (item !== null) query = query.where('u.item_code', '=', item);
  return query.orderBy('u.ordinal').limit(1).forUpdate().executeTakeFirst();
}

export interface UseFilter {
  /** The caller's scope (and, for a borrower without use.stats, their own rows) over `u`. */
  visible: RawBuilder<SqlBool>;
  from?: Date;
  to?: Date;
  kind?: UseKind;
  fonds?: string;
  categoryIds?: readonly number[];
  department?: string;
  user?: string;
  item?: string;
  loan?: string;
}

const where = (filter: UseFilter): RawBuilder<SqlBool> => {
  const parts: RawBuilder<unknown>[] = [filter.visible];
  if (filter.from) parts.push(sql`u.used_at >= ${filter.from}`);
  if (filter.to) parts.push(sql`u.used_at < ${filter.to}`);
  if (filter.kind) parts.push(sql`u.kind = ${filter.kind}`);
  if (filter.fonds) parts.push(sql`u.fonds_code = ${filter.fonds}`);
  if (filter.categoryIds)
    parts.push(
      filter.categoryIds.length > 0
        ? sql`u.category_id in (${sql.join([...filter.categoryIds])})`
        : sql`false`,
    );
  if (filter.department) parts.push(sql`u.department = ${filter.department}`);
  if (filter.user) parts.push(sql`u.user_name = ${filter.user}`);
  if (filter.item) parts.push(sql`u.item_code = ${filter.item}`);
  if (filter.loan) parts.push(sql`u.loan_number = ${filter.loan}`);
  return sql<SqlBool>`${sql.join(parts, sql` and `)}`;
};

/** A page of the register, newest first, after the cursor (event seq and ordinal of the last row shown). */
export async function listUses(
  db: Db,
  filter: UseFilter,
  page: { before?: { seq: number; ordinal: number }; limit: number },
): Promise<UseRow[]> {
  const before = page.before
    ? sql`(u.event_seq, u.ordinal) < (${page.before.seq}, ${page.before.ordinal})`
    : sql`true`;
  const result = await sql<UseRow>`select u.* from use_register u
    where ${where(filter)} and ${before}
    order by u.event_seq desc, u.ordinal desc limit ${page.limit}`.execute(db);
  return result.rows.map((row) => ({ ...row, event_seq: Number(row.event_seq) }));
}

export type StatsPeriod = 'month' | 'quarter' | 'year';
export type StatsDimension = 'kind' | 'category' | 'department' | 'none';

// Beijing time has no daylight saving: the UTC wall time plus eight hours is the Beijing wall time,
// with no time-zone database needed (PGlite ships none).
const BEIJING = sql`((u.used_at at time zone 'UTC') + interval '8 hours')`;
const PERIOD: Record<StatsPeriod, RawBuilder<string>> = {
  month: sql<string>`to_char(${BEIJING}, 'YYYY-MM')`,
  quarter: sql<string>`to_char(${BEIJING}, 'YYYY-"Q"Q')`,
  year: sql<string>`to_char(${BEIJING}, 'YYYY')`,
};
const DIMENSION: Record<StatsDimension, RawBuilder<string | null>> = {
  kind: sql<string>`u.kind`,
  category: sql<string | null>`u.category_id::text`,
  department: sql<string>`u.department`,
  none: sql<null>`null::text`,
};

export interface StatsCell {
  period: string;
  key: string | null;
  uses: number;
  items: number;
  effects: number;
}

/** Uses counted by period (Beijing time) and one dimension: rows, distinct items, effects recorded. */
export async function countUses(
  db: Db,
  filter: UseFilter,
  period: StatsPeriod,
  dimension: StatsDimension,
): Promise<StatsCell[]> {
  const result = await sql<StatsCell>`select ${PERIOD[period]} as period, ${DIMENSION[dimension]} as key,
      count(*)::int as uses, count(distinct u.item_code)::int as items, count(u.effect)::int as effects
    from use_register u where ${where(filter)}
    group by 1, 2 order by 1, 2`.execute(db);
  return result.rows;
}

/** Events after the register's position that it takes in, counted up to `bound` (a hint). */
export async function useBacklog(db: Db, actions: readonly string[], bound = 100_000): Promise<number> {
  const pending = eventsAfterCountSql(
    sql`coalesce((select s.last_seq from use_state s where s.id = 1), -1)`,
    actions,
    bound,
  );
  const result = await sql<{ pending: number }>`select ${pending} as pending`.execute(db);
  return Number(result.rows[0]?.pending ?? 0);
}

/** Forgets the register (it is built again from the first event). */
export async function clearUses(db: Db): Promise<void> {
  await db.deleteFrom('use_register').execute();
  await db.deleteFrom('use_subject').execute();
  await db.deleteFrom('use_state').execute();
}
