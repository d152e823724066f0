import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext, GrantInForce } from '../../shared/access-context.js';
import { type FieldIssue, invalid, notFound, ValidationError, YidangError } from '../../shared/errors.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { recordEvent, recordEvents } from '../integrity/event-log.js';
import { renderArchiveCode } from './archive-code.js';
import { loadCatalogContext } from './catalog.context.js';
import { categoryExists, lockFonds } from './catalog.repo.js';
import { checkIdNumber } from './id-number.js';
import { discloseItem, discloseItems } from './item.disclose.js';
import { grantColumn, grantsRead, grantToAttach, grantToRead, withholdUngranted } from './item.gate.js';
import { type PreparedItem, prepareItem } from './item.prepare.js';
import {
  countItems as countItemRows,
  findItem,
  insertItems,
  listItemsWithGrants,
  type NewItemRow,
  reserveItemNumbers,
  sequenceState,
  sequenceSubject,
} from './item.repo.js';
import type { Item } from './item.schema.js';
import { inAccessScope, scopedQuery } from './item.scope.js';
import { itemState, itemSubject } from './item.state.js';
import { destroyedOf } from './tombstone.repo.js';
import { refuseTransferred } from './transferred.js';

// Filing (归档) and reading archive items; editing and the history are in item.edit.service.ts.

export const MAX_BATCH = 10_000;
const MAX_REPORTED_ISSUES = 200;

export interface FiledItem {
  id: number;
  archiveCode: string;
}

export interface ServiceOptions {
  today?: Date;
  /** Who acts: an item outside their scope is refused (filing) or not found. */
  access: AccessContext;
}

/** Filing or editing into a fonds, region or category the user may not touch is refused outright. */
export function checkInScope(
  access: AccessContext,
  item: PreparedItem,
  field: string,
): FieldIssue | undefined {
  const inside = inAccessScope(access, {
    fondsCode: item.fonds_code,
    poolingRegion: item.pooling_region ?? null,
    categoryId: item.category_id,
    idNumber: item.id_number ?? null,
  });
  return inside ? undefined : { field, message: '超出您的授权范围（全宗、统筹区或类别）' };
}

/**
 * Files a batch all-or-nothing: every item is validated first, then numbers are taken and rows
 * written in one transaction, so a failure leaves no item and no used number behind.
 */
export async function fileItems(
  db: Db,
  inputs: readonly unknown[],
  actor: string,
  options: ServiceOptions,
): Promise<FiledItem[]> {
  if (inputs.length === 0) throw invalid('EMPTY_BATCH', '没有要归档的档案');
  if (inputs.length > MAX_BATCH)
    throw invalid('BATCH_TOO_LARGE', `一次最多归档 ${MAX_BATCH} 件，实际 ${inputs.length} 件`);
  const today = options.today ?? new Date();
  return inTransaction(db, async (trx) => {
    const fondsCodes = new Set(inputs.map((raw) => (raw as { fonds?: unknown } | null)?.fonds));
    await lockFonds(
      trx,
      [...fondsCodes].filter((code): code is string => typeof code === 'string'),
      'share',
    );
    const context = await loadCatalogContext(trx);
    const prepared: PreparedItem[] = [];
    const issues: FieldIssue[] = [];
    for (const [index, raw] of inputs.entries()) {
      const prefix = inputs.length > 1 ? `items[${index}].` : '';
      const result = prepareItem(raw, context, actor, { today, prefix });
      const outside = result.item && checkInScope(options.access, result.item, `${prefix}fonds`);
      if (outside) issues.push(outside);
      else if (result.item) prepared.push(result.item);
      else issues.push(...result.issues);
    }
    if (issues.length > 0) {
      const shown = issues.slice(0, MAX_REPORTED_ISSUES);
      const summary =
        shown.length === 1
          ? `档案数据有误，未归档：${shown[0]?.field}：${shown[0]?.message}`
          : `档案数据有误，未归档任何一件（共 ${issues.length} 个问题${issues.length > shown.length ? `，列出前 ${shown.length} 个` : ''}）`;
      throw new ValidationError(shown, summary);
    }
    const { stored, counters } = await numberAndInsert(trx, prepared, context);
    // The event fingerprints each item as stored (the database normalizes some values), and each
    // 档号 counter as advanced, so a counter moved behind the system's back is found by verify.
    recordEvents(trx, [
      ...stored.map((item) => ({
        actor,
        action: 'item.created' as const,
        subject: itemSubject(item.archiveCode),
        payload: { version: item.version },
        state: itemState(item),
      })),
      ...counters.map((counter) => ({
        actor,
        action: 'sequence.advanced' as const,
        subject: sequenceSubject(counter.fonds, counter.key),
        payload: { lastNumber: counter.lastNumber },
        state: sequenceState(counter.fonds, counter.key, counter.lastNumber),
      })),
    ]);
    return stored.map((item) => ({ id: item.id, archiveCode: item.archiveCode }));
  });
}

/**
 * What filing these items would find wrong, item by item, without filing anything (a batch import
 * checks every row before it writes one). The same checks as fileItems, scope included.
 */
export async function checkItems(
  db: Db,
  inputs: readonly unknown[],
  actor: string,
  options: ServiceOptions,
): Promise<FieldIssue[][]> {
  const today = options.today ?? new Date();
  const context = await loadCatalogContext(db);
  return inputs.map((raw) => {
    const result = prepareItem(raw, context, actor, { today });
    const outside = result.item && checkInScope(options.access, result.item, 'fonds');
    return outside ? [outside] : result.item ? [] : result.issues;
  });
}

async function numberAndInsert(
  trx: Db,
  prepared: PreparedItem[],
  context: Awaited<ReturnType<typeof loadCatalogContext>>,
): Promise<{ stored: Item[]; counters: ReturnType<typeof sequenceState>[] }> {
  const { fonds } = context;
  const countsByFonds = new Map<string, Map<string, number>>();
  for (const item of prepared) {
    const counts = countsByFonds.get(item.fonds_code) ?? new Map<string, number>();
    counts.set(item.sequenceKey, (counts.get(item.sequenceKey) ?? 0) + 1);
    countsByFonds.set(item.fonds_code, counts);
  }
  const nextNumber = new Map<string, number>();
  const counters: ReturnType<typeof sequenceState>[] = [];
  for (const fondsCode of [...countsByFonds.keys()].sort()) {
    const counts = countsByFonds.get(fondsCode) ?? new Map<string, number>();
    const firstMinusOne = await reserveItemNumbers(trx, fondsCode, counts);
    for (const [key, base] of firstMinusOne) {
      nextNumber.set(`${fondsCode}\u0000${key}`, base);
      counters.push(sequenceState(fondsCode, key, base + (counts.get(key) ?? 0)));
    }
  }
  const rows: NewItemRow[] = prepared.map(({ sequenceKey, categoryCode, ...row }) => {
    const slot = `${row.fonds_code}\u0000${sequenceKey}`;
    const itemNumber = (nextNumber.get(slot) ?? 0) + 1;
    nextNumber.set(slot, itemNumber);
    const pattern = fonds.get(row.fonds_code)?.pattern;
    if (!pattern) throw new Error(`fonds ${row.fonds_code} vanished while filing`);
    const archiveCode = renderArchiveCode(
      pattern,
      {
        fonds: row.fonds_code,
        category: categoryCode,
        year: row.year,
        retention: row.retention,
        org: row.org_code,
      },
      itemNumber,
    );
    return { ...row, item_number: itemNumber, archive_code: archiveCode };
  });
  const categoriesById = new Map([...context.categories.values()].map((row) => [row.id, row]));
  return { stored: await insertItems(trx, rows, categoriesById), counters };
}

/** An item in the caller's scope with the grant it is read under (null when none is needed). */
export async function getItemWithGrant(
  db: Db,
  archiveCode: string,
  access: AccessContext,
): Promise<{ item: Item; grant: GrantInForce | null }> {
  const item = await findItem(db, archiveCode, false, scopedQuery(access));
  if (!item) throw itemNotFound(archiveCode);
  return { item, grant: await grantToRead(db, item, access) };
}

const itemNotFound = (archiveCode: string) =>
  notFound('ITEM_NOT_FOUND', `档号“${archiveCode.slice(0, 200)}”不存在`);

/** A destroyed item is a tombstone: it takes no change and no file (that would bring data back). */
async function refuseDestroyed(db: Db, item: Item): Promise<void> {
  const destroyed = (await destroyedOf(db, [item.id])).get(item.id);
  if (destroyed)
    throw new YidangError(
      'ITEM_DESTROYED',
      'conflict',
      `档案 ${item.archiveCode} 已按销毁清册 ${destroyed.register} 销毁，不能修改或添加文件`,
    );
}

/**
 * The item a change applies to, locked until the transaction ends: in the caller's scope, and a
 * sensitive one only under the caller's grant, exactly as for reading it.
 */
export async function itemForChange(trx: Db, archiveCode: string, access: AccessContext): Promise<Item> {
  const item = await findItem(trx, archiveCode, true, scopedQuery(access));
  if (!item) throw itemNotFound(archiveCode);
  await refuseDestroyed(trx, item);
  refuseTransferred(item);
  await grantToRead(trx, item, access);
  return item;
}

/**
 * The item files are added to, in the caller's scope: a sensitive one under the caller's grant, or
 * without one for the account that filed it within the filer's window (item.gate.ts).
 */
export async function itemToAttachTo(db: Db, archiveCode: string, access: AccessContext): Promise<Item> {
  const item = await findItem(db, archiveCode, false, scopedQuery(access));
  if (!item) throw itemNotFound(archiveCode);
  await refuseDestroyed(db, item);
  refuseTransferred(item);
  await grantToAttach(db, item, access);
  return item;
}

/**
 * An item in the caller's scope; a sensitive one only under an approved request (403 otherwise). As
 * stored, for the services that work on it: what a person is shown comes from readItem.
 */
export async function getItem(db: Db, archiveCode: string, access: AccessContext): Promise<Item> {
  return (await getItemWithGrant(db, archiveCode, access)).item;
}

/** How many items lie in the caller's scope (in one fonds, if given). */
export async function countItems(db: Db, access: AccessContext, fondsCode?: string): Promise<number> {
  return countItemRows(db, scopedQuery(access), fondsCode);
}

/**
 * Files one item and shows it back to the filer as disclosed (masked): they supplied this content a
 * moment ago, so it is shown even when it is sensitive.
 */
export async function fileItem(
  db: Db,
  input: unknown,
  actor: string,
  options: ServiceOptions,
): Promise<Item> {
  const [filed] = await fileItems(db, [input], actor, options);
  const item = await findItem(db, filed?.archiveCode ?? '', false, scopedQuery(options.access));
  if (!item) throw itemNotFound(filed?.archiveCode ?? '');
  return discloseItem(db, options.access, item);
}

/**
 * Reads an item for a person. Reading a sensitive (敏感/限制) item is itself an event naming the
 * grant and its purpose, so the audit trail shows who looked at whose record and why. Returned as
 * the context discloses it: masked unless unmasked with a purpose.
 */
export async function readItem(
  db: Db,
  archiveCode: string,
  actor: string,
  purpose: string | undefined,
  access: AccessContext,
): Promise<Item> {
  const { item, grant } = await getItemWithGrant(db, archiveCode, access);
  if (item.sensitivity === 'normal') {
    // An ordinary record naming a person is a look the person may ask about (谁查看了我的档案);
    // their own look is not, and a look in full is logged as item.unmasked instead.
    if (
      item.idNumber &&
      access.kind === 'principal' &&
      access.scope.idNumber !== item.idNumber &&
      !access.disclosure.unmask
    ) {
      // Best effort: the record is ordinary (masked, no grant needed), so the look being logged is a
      // courtesy to the person, not the read's condition — a log that cannot take the append (its
      // head locked or out of step) must not turn a read into a 500. Sensitive reads stay fail-closed.
      await inTransaction(db, async (trx) =>
        recordEvent(trx, {
          actor,
          action: 'item.viewed',
          subject: itemSubject(archiveCode),
          payload: { purpose: purpose?.slice(0, 200) ?? null },
        }),
      ).catch((error: unknown) => {
        // Inside a caller's transaction the failure has spoilt that transaction: let it surface.
        if (db.isTransaction) throw error;
      });
    }
    return discloseItem(db, access, item);
  }
  await inTransaction(db, async (trx) =>
    recordEvent(trx, {
      actor,
      action: 'item.read',
      subject: itemSubject(archiveCode),
      payload: {
        sensitivity: item.sensitivity,
        purpose: purpose ?? grant?.purpose ?? null,
        grantId: grant?.id ?? null,
      },
    }),
  );
  return discloseItem(db, access, item);
}

export interface ItemQuery {
  fonds?: string;
  category?: string;
  year?: number;
  /** Exact look-up by 身份证号, through the blind index (the stored numbers are encrypted). */
  idNumber?: string;
  /** Exact look-up by the blind index of a 身份证号 (a FHIR Patient id), logged as a look-up by number. */
  personIndex?: string;
  cursor?: number;
  limit?: number;
}

/** A page of the items in scope, ungranted sensitive ones withheld, the rest disclosed as asked. */
export async function listItems(
  db: Db,
  query: ItemQuery,
  access: AccessContext,
): Promise<{ items: Item[]; nextCursor: number | null }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
  let idNumber: string | undefined;
  if (query.idNumber !== undefined) {
    idNumber = query.idNumber.trim().toUpperCase();
    const problem = checkIdNumber(idNumber);
    if (problem) throw invalid('ID_NUMBER_INVALID', `身份证号有误：${problem}`);
  }
  if (query.personIndex !== undefined && !/^[0-9a-f]{32}$/.test(query.personIndex))
    throw invalid('ID_NUMBER_INVALID', '参保人标识（身份证号的盲索引）应为 32 位十六进制');
  const now = new Date();
  // The grants in force for the page's sensitive items come with it.
  const { items: rows, grants } = await listItemsWithGrants(db, {
    ...query,
    idNumber,
    afterId: query.cursor,
    limit,
    scope: scopedQuery(access),
    grant: grantColumn(access, sql.ref('i.id'), sql.ref('i.sensitivity'), now),
  });
  // An unknown category lists nothing; only then is it worth asking whether it exists.
  if (rows.length === 0 && query.category && !(await categoryExists(db, query.category)))
    throw notFound('CATEGORY_NOT_FOUND', `类别“${query.category.slice(0, 20)}”不存在`);
  const items = await discloseItems(
    db,
    access,
    await withholdUngranted(db, rows, access, now, grants ? grantsRead(grants) : undefined),
  );
  const own = (index: string) =>
    access.kind === 'principal' && idNumberIndex(access.scope.idNumber ?? null) === index;
  // A look-up by ID number finds a person's records: noted with the 档号 found (never the number).
  if (
    access.kind === 'principal' &&
    ((idNumber !== undefined && access.scope.idNumber !== idNumber) ||
      (query.personIndex !== undefined && !own(query.personIndex)))
  )
    await inTransaction(db, async (trx) =>
      recordEvent(trx, {
        actor: access.username,
        action: 'search.id_lookup',
        subject: `user:${access.username}`,
        payload: {
          lookups: 1,
          results: items.length,
          items: items.filter((item) => !item.withheld).map((item) => item.archiveCode),
        },
      }),
    );
  return { items, nextCursor: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
}
