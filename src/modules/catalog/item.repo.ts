import {
  type Compilable,
  CompiledQuery,
  type Insertable,
  type RawBuilder,
  type Selectable,
  sql,
} from 'kysely';
import type { Db } from '../../db/database.js';
import type { GrantInForceJson } from '../../shared/access-context.js';
import { idNumberIndex, openIdNumber, sealIdNumber } from '../../shared/field-cipher.js';
import { categoryBranchSql } from './catalog.repo.js';
import type { ArchiveItemTable, PaperLocation } from './catalog.tables.js';
import type { Item } from './item.schema.js';
import { type ScopedQuery, withinScope } from './item.scope.js';

// The only SQL for archive items and their 档号 sequences (kept versions: item-version.repo.ts).

/** A row to insert; JSON columns hold objects, written as jsonb. */
export type NewItemRow = Omit<Insertable<ArchiveItemTable>, 'paper_location' | 'extra'> & {
  paper_location: PaperLocation | null;
  extra: Record<string, unknown>;
};

/**
 * Takes the next `count` numbers of each sequence in one statement. The upsert locks each sequence
 * row until the transaction ends, so concurrent filers queue and a rolled-back filing returns its
 * numbers: the numbering stays gapless. Keys are sorted so two batches always lock in one order.
 */
export async function reserveItemNumbers(
  db: Db,
  fondsCode: string,
  counts: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const keys = [...counts.keys()].sort();
  const rows = await db
    .insertInto('archive_sequence')
    .values(
      keys.map((key) => ({ fonds_code: fondsCode, sequence_key: key, last_number: counts.get(key) ?? 0 })),
    )
    .onConflict((conflict) =>
      conflict
        .columns(['fonds_code', 'sequence_key'])
        .doUpdateSet({ last_number: sql`archive_sequence.last_number + excluded.last_number` }),
    )
    .returning(['sequence_key', 'last_number'])
    .execute();
  return new Map(
    rows.map((row) => [row.sequence_key, row.last_number - (counts.get(row.sequence_key) ?? 0)]),
  );
}

/** A 档号 counter as the event log fingerprints it: the last number given out in the sequence. */
export const sequenceSubject = (fondsCode: string, sequenceKey: string) =>
  `sequence:${fondsCode}:${sequenceKey}`;
export const sequenceState = (fondsCode: string, sequenceKey: string, lastNumber: number) => ({
  fonds: fondsCode,
  key: sequenceKey,
  lastNumber: Number(lastNumber),
});

/** Every counter's state by subject, for verify (one small table). */
export async function sequenceStates(db: Db): Promise<Map<string, unknown>> {
  const rows = await db.selectFrom('archive_sequence').selectAll().execute();
  return new Map(
    rows.map((row) => [
      sequenceSubject(row.fonds_code, row.sequence_key),
      sequenceState(row.fonds_code, row.sequence_key, row.last_number),
    ]),
  );
}

/** Stored blind indexes of the items with ids in [fromId, toId], for verify to recompute. */
export async function itemIdIndexes(
  db: Db,
  fromId: number,
  toId: number,
  scope: ScopedQuery,
): Promise<Map<number, string | null>> {
  const rows = await db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .select(['i.id', 'i.id_number_index'])
    .where('i.id', '>=', fromId)
    .where('i.id', '<=', toId)
    .execute();
  return new Map(rows.map((row) => [Number(row.id), row.id_number_index]));
}

/**
 * The person each item names (its ID number's blind index) and its fonds, by 档号, opening nothing:
 * what the insured person's window files a look at an item under. Items naming nobody are left out.
 */
export async function personIndexesOfCodes(
  db: Db,
  codes: readonly string[],
  scope: ScopedQuery,
): Promise<Map<string, { personKey: string; fondsCode: string }>> {
  if (codes.length === 0) return new Map();
  const rows = await db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .select(['i.archive_code', 'i.id_number_index', 'i.fonds_code'])
    .where('i.archive_code', 'in', [...new Set(codes)])
    .where('i.id_number_index', 'is not', null)
    .execute();
  return new Map(
    rows.map((row) => [
      row.archive_code,
      { personKey: row.id_number_index as string, fondsCode: row.fonds_code },
    ]),
  );
}

/** Ids and 档号 after `afterId` without opening anything (verify's way past a row that fails to open). */
export async function itemCodesAfter(
  db: Db,
  afterId: number,
  limit: number,
  scope: ScopedQuery,
): Promise<Array<{ id: number; archiveCode: string }>> {
  const rows = await db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .select(['i.id', 'i.archive_code'])
    .where('i.id', '>', afterId)
    .orderBy('i.id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: Number(row.id), archiveCode: row.archive_code }));
}

// Rows travel as one jsonb parameter and are expanded by the server: on PGlite this is about twice
// as fast as a VALUES list with 30 parameters a row, and it has no bind-parameter limit.
const INSERT_CHUNK = 5000;
export const ITEM_COLUMNS = [
  'archive_code',
  'fonds_code',
  'category_id',
  'year',
  'retention',
  'retention_expires_on',
  'org_code',
  'item_number',
  'title',
  'doc_number',
  'responsible',
  'doc_date',
  'security_level',
  'insured_number',
  'id_number',
  'person_name',
  'business_type',
  'handled_at',
  'handler',
  'handling_agency',
  'pooling_region',
  'amount',
  'carrier',
  'paper_location',
  'sensitivity',
  'extra',
  'version',
  'change_reason',
  'created_by',
  'updated_by',
] as const satisfies ReadonlyArray<keyof NewItemRow>;
const COLUMN_LIST = sql.raw([...ITEM_COLUMNS, 'id_number_index'].join(', '));

/**
 * Inserts rows and returns them as stored, in the order given: the database's own rendering of
 * amounts, times and JSON is what the event log fingerprints, without a second query.
 */
export async function insertItems(
  db: Db,
  rows: readonly NewItemRow[],
  categoriesById: ReadonlyMap<number, { code: string; name: string }>,
): Promise<Item[]> {
  const byCode = new Map<string, Item>();
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const chunk = rows.slice(start, start + INSERT_CHUNK).map((row) => {
      const picked: Record<string, unknown> = {};
      for (const column of ITEM_COLUMNS) picked[column] = row[column] ?? null;
      picked.id_number = sealIdNumber(row.id_number);
      picked.id_number_index = idNumberIndex(row.id_number);
      return picked;
    });
    const inserted = await sql<Selectable<ArchiveItemTable>>`
      insert into archive_item (${COLUMN_LIST})
      select ${COLUMN_LIST} from jsonb_populate_recordset(null::archive_item, ${JSON.stringify(chunk)}::jsonb)
      returning *`.execute(db);
    const plainIds = new Map(
      rows.slice(start, start + INSERT_CHUNK).map((row) => [row.archive_code, row.id_number]),
    );
    for (const row of inserted.rows) {
      const category = categoriesById.get(row.category_id);
      // The ID number just sealed is known in the clear: no need to decrypt what came back.
      const stored = { ...row, id_number: plainIds.get(row.archive_code) ?? null };
      byCode.set(row.archive_code, storedItem(stored, category?.code ?? '', category?.name ?? ''));
    }
  }
  return rows.map((row) => byCode.get(row.archive_code) as Item);
}

/** A stored row as the API shows it (the same shape itemQuery selects). */
function storedItem(row: Selectable<ArchiveItemTable>, category: string, categoryName: string): Item {
  return toItem({
    id: row.id,
    archiveCode: row.archive_code,
    fonds: row.fonds_code,
    category,
    categoryName,
    year: row.year,
    org: row.org_code,
    itemNumber: row.item_number,
    retention: row.retention,
    retentionExpiresOn: row.retention_expires_on,
    title: row.title,
    docNumber: row.doc_number,
    responsible: row.responsible,
    date: row.doc_date,
    securityLevel: row.security_level,
    insuredNumber: row.insured_number,
    idNumber: row.id_number,
    name: row.person_name,
    businessType: row.business_type,
    handledAt: row.handled_at,
    handler: row.handler,
    agency: row.handling_agency,
    poolingRegion: row.pooling_region,
    amount: row.amount,
    carrier: row.carrier,
    paperLocation: row.paper_location,
    sensitivity: row.sensitivity,
    extra: row.extra,
    version: row.version,
    changeReason: row.change_reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
    destroyedRegister: row.destroyed_register,
    destroyedAt: row.destroyed_at,
    destroyedDigest: row.destroyed_digest,
    destroyedConfirmedAt: row.destroyed_confirmed_at,
    transferredBatch: row.transferred_batch,
    transferredAt: row.transferred_at,
    transferKeepUntil: row.transfer_keep_until,
    receivedCode: row.received_code,
    receivedFrom: row.received_from,
    receivedBatch: row.received_batch,
  });
}

function itemQuery(db: Db, scope: ScopedQuery) {
  return db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .innerJoin('category as c', 'c.id', 'i.category_id')
    .select([
      'i.id',
      'i.archive_code as archiveCode',
      'i.fonds_code as fonds',
      'c.code as category',
      'c.name as categoryName',
      'i.year',
      'i.org_code as org',
      'i.item_number as itemNumber',
      'i.retention',
      'i.retention_expires_on as retentionExpiresOn',
      'i.title',
      'i.doc_number as docNumber',
      'i.responsible',
      'i.doc_date as date',
      'i.security_level as securityLevel',
      'i.insured_number as insuredNumber',
      'i.id_number as idNumber',
      'i.person_name as name',
      'i.business_type as businessType',
      'i.handled_at as handledAt',
      'i.handler',
      'i.handling_agency as agency',
      'i.pooling_region as poolingRegion',
      // As text: exact, and the same whether read as a row or within a JSON document.
      sql<string | null>`i.amount::text`.as('amount'),
      'i.carrier',
      'i.paper_location as paperLocation',
      'i.sensitivity',
      'i.extra',
      'i.version',
      'i.change_reason as changeReason',
      'i.created_by as createdBy',
      'i.created_at as createdAt',
      'i.updated_by as updatedBy',
      'i.updated_at as updatedAt',
      'i.destroyed_register as destroyedRegister',
      'i.destroyed_at as destroyedAt',
      'i.destroyed_digest as destroyedDigest',
      'i.destroyed_confirmed_at as destroyedConfirmedAt',
      'i.transferred_batch as transferredBatch',
      'i.transferred_at as transferredAt',
      'i.transfer_keep_until as transferKeepUntil',
      'i.received_code as receivedCode',
      'i.received_from as receivedFrom',
      'i.received_batch as receivedBatch',
    ]);
}

type ItemRow = Awaited<ReturnType<ReturnType<typeof itemQuery>['executeTakeFirstOrThrow']>>;

export const iso = (value: Date | string | null): string | null =>
  value === null ? null : value instanceof Date ? value.toISOString() : new Date(value).toISOString();

function toItem(row: ItemRow): Item {
  const {
    destroyedRegister,
    destroyedAt,
    destroyedDigest,
    destroyedConfirmedAt,
    transferredBatch,
    transferredAt,
    transferKeepUntil,
    receivedCode,
    receivedFrom,
    receivedBatch,
    ...rest
  } = row;
  return {
    ...rest,
    idNumber: openIdNumber(row.idNumber),
    handledAt: iso(row.handledAt),
    createdAt: iso(row.createdAt) as string,
    updatedAt: iso(row.updatedAt) as string,
    // Only a tombstone has the key, so a live item's state (its logged digest) is as it always was.
    ...(destroyedRegister
      ? {
          destroyed: {
            register: destroyedRegister,
            at: iso(destroyedAt) as string,
            digest: destroyedDigest as string,
          },
        }
      : {}),
    // 销毁中（待副本确认）: outside the logged state (it ends when every replica deleted its copies).
    ...(destroyedRegister && destroyedConfirmedAt === null ? { destroyedPending: true as const } : {}),
    // 已移交: outside the item's logged state (itemState); the transfer batch's state covers it.
    ...(transferredBatch
      ? {
          transferred: {
            batch: transferredBatch,
            at: iso(transferredAt) as string,
            keepUntil: transferKeepUntil as string,
          },
        }
      : {}),
    // 接收: outside the item's logged state (itemState); its item.received event names the origin.
    ...(receivedCode
      ? {
          received: {
            originalCode: receivedCode,
            source: receivedFrom ?? '',
            batch: receivedBatch ?? '',
          },
        }
      : {}),
  };
}

export async function findItem(
  db: Db,
  archiveCode: string,
  forUpdate: boolean,
  scope: ScopedQuery,
): Promise<Item | undefined> {
  let query = itemQuery(db, scope).where('i.archive_code', '=', archiveCode);
  if (forUpdate) query = query.forUpdate('i');
  const row = await query.executeTakeFirst();
  return row ? toItem(row) : undefined;
}

/**
 * The rows of an item query read as one JSON document (in `order`, a column of the rows): PGlite
 * decodes a wide row field by field in JavaScript, and a page of 50 items came back in 2.7 ms this
 * way against 4.9 ms as rows. Timestamps arrive as text, which toItem reads as it reads a Date.
 */
async function asOneDocument<Row>(db: Db, query: Compilable<Row>, order?: string): Promise<Row[]> {
  const compiled = query.compile();
  const result = await db.executeQuery<{ rows: string | null }>(
    CompiledQuery.raw(
      `select json_agg(q${order ? ` order by q.${order}` : ''})::text as rows from (${compiled.sql}) q`,
      [...compiled.parameters],
    ),
  );
  const text = result.rows[0]?.rows;
  return text ? (JSON.parse(text) as Row[]) : [];
}

/** Items by id, in the order given (ids that do not exist, or lie outside the scope, are left out). */
export async function findItemsByIds(db: Db, ids: readonly number[], scope: ScopedQuery): Promise<Item[]> {
  const byId = new Map<number, Item>();
  for (let start = 0; start < ids.length; start += INSERT_CHUNK) {
    const rows = await asOneDocument(
      db,
      itemQuery(db, scope).where('i.id', 'in', ids.slice(start, start + INSERT_CHUNK)),
    );
    for (const row of rows) byId.set(row.id, toItem(row));
  }
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Items among these 档号 that lie in the scope (the rest are simply not found). */
export async function findItemsByCodes(
  db: Db,
  codes: readonly string[],
  scope: ScopedQuery,
): Promise<Item[]> {
  if (codes.length === 0) return [];
  // One array parameter, not one per 档号 (a register's 10,000 codes; the driver's limit is 65,535).
  const rows = await asOneDocument(
    db,
    itemQuery(db, scope).where(sql<boolean>`i.archive_code = any(${[...codes]}::text[])`),
  );
  return rows.map(toItem);
}

/** How many of these items lie in the scope. */
export async function countInScope(db: Db, ids: readonly number[], scope: ScopedQuery): Promise<number> {
  if (ids.length === 0) return 0;
  const { count } = await db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .where(sql<boolean>`i.id = any(${[...ids]}::bigint[])`)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

export interface ItemFilter {
  fonds?: string;
  /** A category code: items of that category and every category under it. */
  category?: string;
  year?: number;
  idNumber?: string;
  /** The blind index of the person's ID number itself (a FHIR Patient id). */
  personIndex?: string;
  afterId?: number;
  limit: number;
  scope: ScopedQuery;
  /** An expression over `i` read beside each item (the grant in force for it). */
  grant?: RawBuilder<GrantInForceJson | null> | null;
}

export async function listItems(db: Db, filter: ItemFilter): Promise<Item[]> {
  return (await listItemsWithGrants(db, filter)).items;
}

/** A page of items in id order, with what `grant` read for each (null without it). */
export async function listItemsWithGrants(
  db: Db,
  filter: ItemFilter,
): Promise<{ items: Item[]; grants: Array<{ id: number; grant: GrantInForceJson | null }> | null }> {
  let query = itemQuery(db, filter.scope).select(
    (filter.grant ?? sql<GrantInForceJson | null>`null::json`).as('grant'),
  );
  if (filter.fonds) query = query.where('i.fonds_code', '=', filter.fonds);
  // The branch is resolved in the statement itself, not read first.
  if (filter.category)
    query = query.where(
      sql<boolean>`i.category_id = any(${categoryBranchSql(sql`${filter.category}`)}::int[])`,
    );
  if (filter.year !== undefined) query = query.where('i.year', '=', filter.year);
  if (filter.idNumber !== undefined)
    query = query.where('i.id_number_index', '=', idNumberIndex(filter.idNumber) ?? '');
  if (filter.personIndex !== undefined) query = query.where('i.id_number_index', '=', filter.personIndex);
  if (filter.afterId !== undefined) query = query.where('i.id', '>', filter.afterId);
  const rows = await asOneDocument(db, query.orderBy('i.id').limit(filter.limit), 'id');
  return {
    items: rows.map(({ grant: _grant, ...row }) => toItem(row)),
    grants: filter.grant ? rows.map((row) => ({ id: row.id, grant: row.grant })) : null,
  };
}

/** How many items lie in the scope (in one fonds, if given). */
export async function countItems(db: Db, scope: ScopedQuery, fondsCode?: string): Promise<number> {
  let query = db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .select((eb) => eb.fn.countAll<number>().as('count'));
  if (fondsCode) query = query.where('i.fonds_code', '=', fondsCode);
  const { count } = await query.executeTakeFirstOrThrow();
  return Number(count);
}

export async function updateItemRow(
  db: Db,
  id: number,
  expectedVersion: number,
  change: Partial<Omit<NewItemRow, 'created_at'>>,
): Promise<boolean> {
  const { paper_location, extra, ...plain } = change;
  const result = await db
    .updateTable('archive_item')
    .set({
      ...plain,
      ...('id_number' in plain
        ? { id_number: sealIdNumber(plain.id_number), id_number_index: idNumberIndex(plain.id_number) }
        : {}),
      ...(paper_location !== undefined
        ? { paper_location: paper_location && JSON.stringify(paper_location) }
        : {}),
      ...(extra !== undefined ? { extra: JSON.stringify(extra) } : {}),
      version: expectedVersion + 1,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
