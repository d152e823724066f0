import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { InsuredCopyTable, InsuredViewTable } from './insured.tables.js';

// The only SQL of the insured module: the projection of looks at people's records (insured_view)
// and its position in the log, and the certified copies (insured_copy).

export type ViewInsert = Omit<InsuredViewTable, 'seq'> & { seq: number };

/** The follower's position, locked until the transaction ends (two followers take turns). */
export async function lockViewState(db: Db): Promise<number> {
  const locked = () =>
    db.selectFrom('insured_view_state').select('last_seq').where('id', '=', 1).forUpdate().executeTakeFirst();
  let row = await locked();
  if (!row) {
    await db
      .insertInto('insured_view_state')
      .values({ id: 1, last_seq: -1 })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    row = await locked();
  }
  return Number(row?.last_seq ?? -1);
}

/**
 * The position locked if no one holds it (a page's catch-up never queues behind the follower):
 * undefined when busy.
 */
export async function tryLockViewState(db: Db): Promise<number | undefined> {
  await db
    .insertInto('insured_view_state')
    .values({ id: 1, last_seq: -1 })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  const row = await db
    .selectFrom('insured_view_state')
    .select('last_seq')
    .where('id', '=', 1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  return row ? Number(row.last_seq) : undefined;
}

/** The looks taken in and the new position, together. */
export async function saveViews(db: Db, rows: readonly ViewInsert[], lastSeq: number): Promise<void> {
  for (let start = 0; start < rows.length; start += 1000)
    await db
      .insertInto('insured_view')
      .values(rows.slice(start, start + 1000))
      .onConflict((conflict) => conflict.doNothing())
      .execute();
  await db
    .updateTable('insured_view_state')
    .set({ last_seq: lastSeq, updated_at: new Date() })
    .where('id', '=', 1)
    .execute();
}

export async function viewState(db: Db): Promise<number> {
  const row = await db
    .selectFrom('insured_view_state')
    .select('last_seq')
    .where('id', '=', 1)
    .executeTakeFirst();
  return Number(row?.last_seq ?? -1);
}

export interface ViewRow {
  recordedAt: Date;
  seq: number;
  archiveCode: string;
  action: string;
  actor: string;
  actorRoles: string;
  agency: string;
  purpose: string | null;
  approval: string | null;
  via: string | null;
}

/**
 * One person's looks, newest first, within [from, to) and before the cursor (recordedAt, seq): read
 * through the primary key (person_key, recorded_at, seq, …) backwards, never the log.
 */
export async function viewsOf(
  db: Db,
  personKey: string,
  options: { from?: Date; to?: Date; before?: { at: Date; seq: number; code: string }; limit: number },
): Promise<ViewRow[]> {
  let query = db
    .selectFrom('insured_view')
    .select([
      'recorded_at',
      'seq',
      'archive_code',
      'action',
      'actor',
      'actor_roles',
      'agency',
      'purpose',
      'approval',
      'via',
    ])
    .where('person_key', '=', personKey);
  if (options.from) query = query.where('recorded_at', '>=', options.from);
  if (options.to) query = query.where('recorded_at', '<', options.to);
  const before = options.before;
  if (before)
    query = query.where(
      sql<boolean>`(recorded_at, seq, archive_code) < (${before.at}, ${before.seq}, ${before.code})`,
    );
  const rows = await query
    .orderBy('recorded_at', 'desc')
    .orderBy('seq', 'desc')
    .orderBy('archive_code', 'desc')
    .limit(options.limit)
    .execute();
  return rows.map((row) => ({
    recordedAt: new Date(row.recorded_at),
    seq: Number(row.seq),
    archiveCode: row.archive_code,
    action: row.action,
    actor: row.actor,
    actorRoles: row.actor_roles,
    agency: row.agency,
    purpose: row.purpose,
    approval: row.approval,
    via: row.via,
  }));
}

/** How many looks at one person's records in [from, to) (counted through the same key). */
export async function countViews(
  db: Db,
  personKey: string,
  range: { from?: Date; to?: Date },
): Promise<number> {
  let query = db
    .selectFrom('insured_view')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('person_key', '=', personKey);
  if (range.from) query = query.where('recorded_at', '>=', range.from);
  if (range.to) query = query.where('recorded_at', '<', range.to);
  return Number((await query.executeTakeFirstOrThrow()).count);
}

export type CopyRow = Omit<InsuredCopyTable, 'id' | 'content' | 'requested_at' | 'issued_at' | 'status'> & {
  id: number;
  status: 'issued' | 'revoked';
  requested_at: Date;
  issued_at: Date;
  /** Its archive was destroyed: the copy's content went with it (forgetCopyContent). */
  content_destroyed: boolean;
};

/** Inserts a copy and names it FZ<year>-<6 digits> from its row id. */
export async function insertCopy(
  db: Db,
  copy: Omit<InsuredCopyTable, 'id' | 'copy_no' | 'status' | 'requested_at' | 'issued_at'>,
  year: number,
): Promise<{ id: number; copyNo: string }> {
  const next = await sql<{
    id: string;
  }>`select nextval(pg_get_serial_sequence('insured_copy', 'id')) as id`.execute(db);
  const id = Number(next.rows[0]?.id);
  const copyNo = `FZ${year}-${String(id).padStart(6, '0')}`;
  await db
    .insertInto('insured_copy')
    .values({ ...copy, id, copy_no: copyNo } as never)
    .execute();
  return { id, copyNo };
}

const COPY_COLUMNS = [
  'id',
  'copy_no',
  'code',
  'username',
  'person_key',
  'archive_code',
  'file_number',
  'purpose',
  'status',
  'digest',
  'media_type',
  'file_name',
  'requested_at',
  'issued_at',
] as const;

/** One person's copies, newest first. */
export async function copiesOf(db: Db, personKey: string, limit: number): Promise<CopyRow[]> {
  const rows = await db
    .selectFrom('insured_copy')
    .select(COPY_COLUMNS)
    .select(sql<boolean>`length(content) = 0`.as('content_destroyed'))
    .where('person_key', '=', personKey)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows as CopyRow[];
}

/** One person's copy by its number, with its content (none when it is not theirs). */
export async function copyOf(
  db: Db,
  personKey: string,
  copyNo: string,
): Promise<(CopyRow & { content: Buffer }) | undefined> {
  const row = await db
    .selectFrom('insured_copy')
    .select([...COPY_COLUMNS, 'content'])
    .select(sql<boolean>`length(content) = 0`.as('content_destroyed'))
    .where('person_key', '=', personKey)
    .where('copy_no', '=', copyNo)
    .executeTakeFirst();
  return row as (CopyRow & { content: Buffer }) | undefined;
}

/**
 * Empties the content of every certified copy made of a destroyed item (销毁): a copy is content of
 * the archive, kept in the clear, and must go with it. The row stays (the public check still finds the
 * code it printed; verify's copy state holds no content). Returns how many copies were emptied.
 */
export async function forgetCopyContent(db: Db, archiveCode: string): Promise<number> {
  const rows = await sql<{ id: number }>`update insured_copy set content = ''::bytea
    where archive_code = ${archiveCode} and length(content) > 0 returning id`.execute(db);
  return rows.rows.length;
}

/** A copy by its verification code: only what the public check shows. */
export async function copyByCode(
  db: Db,
  code: string,
): Promise<
  | {
      archiveCode: string;
      digest: string;
      status: 'issued' | 'revoked';
      issuedAt: Date;
      originalDestroyed: boolean;
    }
  | undefined
> {
  const row = await db
    .selectFrom('insured_copy')
    .select(['archive_code', 'digest', 'status', 'issued_at'])
    .select(sql<boolean>`length(content) = 0`.as('content_destroyed'))
    .where('code', '=', code)
    .executeTakeFirst();
  return row
    ? {
        archiveCode: row.archive_code,
        digest: row.digest,
        status: row.status,
        issuedAt: new Date(row.issued_at),
        originalDestroyed: Boolean(row.content_destroyed),
      }
    : undefined;
}

/**
 * One person's copies issued since `since` (the Beijing day's start), newest first, with the
 * person's copies serialised until the transaction ends (a transaction-scoped advisory lock on the
 * person key), so two requests at once cannot both pass the day's cap.
 */
export async function copiesSinceLocked(
  db: Db,
  personKey: string,
  since: Date,
): Promise<Array<{ copyNo: string; archiveCode: string; fileNumber: number }>> {
  await sql`select pg_advisory_xact_lock(hashtext('yidang.insured_copy'), hashtext(${personKey}))`.execute(
    db,
  );
  return copiesSince(db, personKey, since);
}

/** The same, unlocked: a cheap check before the copy is made. */
export async function copiesSince(
  db: Db,
  personKey: string,
  since: Date,
): Promise<Array<{ copyNo: string; archiveCode: string; fileNumber: number }>> {
  const rows = await db
    .selectFrom('insured_copy')
    .select(['copy_no', 'archive_code', 'file_number'])
    .where('person_key', '=', personKey)
    .where('issued_at', '>=', since)
    .orderBy('id', 'desc')
    .limit(1000)
    .execute();
  return rows.map((row) => ({
    copyNo: row.copy_no,
    archiveCode: row.archive_code,
    fileNumber: row.file_number,
  }));
}

/** What the log's insured.copy_issued state digest covers: what the public check and the owner rely on. */
export function copyState(copy: {
  copy_no: string;
  code: string;
  username: string;
  person_key: string;
  archive_code: string;
  file_number: number;
  status: string;
  digest: string;
  media_type: string;
}) {
  return {
    copyNo: copy.copy_no,
    code: copy.code,
    username: copy.username,
    personKey: copy.person_key,
    item: copy.archive_code,
    fileNumber: Number(copy.file_number),
    status: copy.status,
    digest: copy.digest,
    mediaType: copy.media_type,
  };
}

/** Every copy's state by its subject (insured_copy:FZ…), for verify. */
export async function copyStates(db: Db): Promise<Map<string, unknown>> {
  const rows = await db
    .selectFrom('insured_copy')
    .select([
      'copy_no',
      'code',
      'username',
      'person_key',
      'archive_code',
      'file_number',
      'status',
      'digest',
      'media_type',
    ])
    .orderBy('id')
    .execute();
  return new Map(rows.map((row) => [`insured_copy:${row.copy_no}`, copyState(row)]));
}
