import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { type FieldIssue, invalid, notFound, ValidationError } from '../../shared/errors.js';
import { grantToRead, withholdUngranted } from '../access/grant.check.js';
import type { ActiveGrant } from '../access/grant.repo.js';
import { type ItemScope, inItemScope } from '../access/principal.js';
import { appendEvent, appendEvents } from '../integrity/event-log.js';
import { renderArchiveCode } from './archive-code.js';
import { categoryBranchIds, loadCatalogContext } from './catalog.context.js';
import { listCategories, lockFonds } from './catalog.repo.js';
import { checkIdNumber } from './id-number.js';
import { PATCH_KEYS, type PreparedItem, prepareItem } from './item.prepare.js';
import {
  countItems,
  findItem,
  ITEM_COLUMNS,
  insertItems,
  listItems as listItemRows,
  type NewItemRow,
  reserveItemNumbers,
  updateItemRow,
} from './item.repo.js';
import type { Item, ItemVersion } from './item.schema.js';
import { itemState, itemSubject } from './item.state.js';
import { IssueCollector, readText } from './item.validate.js';
import { insertItemVersion, listItemVersions } from './item-version.repo.js';

// Filing (归档), reading, editing and the history of archive items.

export const MAX_BATCH = 10_000;
const MAX_REPORTED_ISSUES = 200;

export interface FiledItem {
  id: number;
  archiveCode: string;
}

export interface ServiceOptions {
  today?: Date;
  /** The acting user's archive scope; an item outside it is refused (filing) or not found. */
  scope?: ItemScope;
}

/** Filing or editing into a fonds, region or category the user may not touch is refused outright. */
function checkInScope(
  scope: ItemScope | undefined,
  item: PreparedItem,
  field: string,
): FieldIssue | undefined {
  if (!scope) return undefined;
  const inside = inItemScope(scope, {
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
  options: ServiceOptions = {},
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
      const outside = result.item && checkInScope(options.scope, result.item, `${prefix}fonds`);
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
    const stored = await numberAndInsert(trx, prepared, context);
    // The event fingerprints each item as stored (the database normalizes some values).
    await appendEvents(
      trx,
      stored.map((item) => ({
        actor,
        action: 'item.created',
        subject: itemSubject(item.archiveCode),
        payload: { version: item.version },
        state: itemState(item),
      })),
    );
    return stored.map((item) => ({ id: item.id, archiveCode: item.archiveCode }));
  });
}

async function numberAndInsert(
  trx: Db,
  prepared: PreparedItem[],
  context: Awaited<ReturnType<typeof loadCatalogContext>>,
): Promise<Item[]> {
  const { fonds } = context;
  const countsByFonds = new Map<string, Map<string, number>>();
  for (const item of prepared) {
    const counts = countsByFonds.get(item.fonds_code) ?? new Map<string, number>();
    counts.set(item.sequenceKey, (counts.get(item.sequenceKey) ?? 0) + 1);
    countsByFonds.set(item.fonds_code, counts);
  }
  const nextNumber = new Map<string, number>();
  for (const fondsCode of [...countsByFonds.keys()].sort()) {
    const firstMinusOne = await reserveItemNumbers(trx, fondsCode, countsByFonds.get(fondsCode) ?? new Map());
    for (const [key, base] of firstMinusOne) nextNumber.set(`${fondsCode}\u0000${key}`, base);
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
  return insertItems(trx, rows, categoriesById);
}

/** An item in the caller's scope with the grant it is read under (null when none is needed). */
export async function getItemWithGrant(
  db: Db,
  archiveCode: string,
  scope?: ItemScope,
): Promise<{ item: Item; grant: ActiveGrant | null }> {
  const item = await findItem(db, archiveCode, false, scope);
  if (!item) throw itemNotFound(archiveCode);
  return { item, grant: await grantToRead(db, item, scope) };
}

const itemNotFound = (archiveCode: string) =>
  notFound('ITEM_NOT_FOUND', `档号“${archiveCode.slice(0, 200)}”不存在`);

/**
 * The item a change applies to, locked until the transaction ends: in the caller's scope, and a
 * sensitive one only under the caller's grant, exactly as for reading it.
 */
export async function itemForChange(trx: Db, archiveCode: string, scope?: ItemScope): Promise<Item> {
  const item = await findItem(trx, archiveCode, true, scope);
  if (!item) throw itemNotFound(archiveCode);
  await grantToRead(trx, item, scope);
  return item;
}

/** An item in the caller's scope; a sensitive one only under an approved request (403 otherwise). */
export async function getItem(db: Db, archiveCode: string, scope?: ItemScope): Promise<Item> {
  return (await getItemWithGrant(db, archiveCode, scope)).item;
}

export { countItems };

/**
 * Reads an item for a person. Reading a sensitive (敏感/限制) item is itself an event naming the
 * grant and its purpose, so the audit trail shows who looked at whose record and why.
 */
export async function readItem(
  db: Db,
  archiveCode: string,
  actor: string,
  purpose?: string,
  scope?: ItemScope,
): Promise<Item> {
  const { item, grant } = await getItemWithGrant(db, archiveCode, scope);
  if (item.sensitivity === 'normal') return item;
  await inTransaction(db, (trx) =>
    appendEvent(trx, {
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
  return item;
}

export interface ItemQuery {
  fonds?: string;
  category?: string;
  year?: number;
  /** Exact look-up by 身份证号, through the blind index (the stored numbers are encrypted). */
  idNumber?: string;
  cursor?: number;
  limit?: number;
}

export async function listItems(
  db: Db,
  query: ItemQuery,
  scope?: ItemScope,
): Promise<{ items: Item[]; nextCursor: number | null }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
  let categoryIds: number[] | undefined;
  if (query.category) {
    const categories = await listCategories(db);
    const category = categories.find((row) => row.code === query.category);
    if (!category) throw notFound('CATEGORY_NOT_FOUND', `类别“${query.category.slice(0, 20)}”不存在`);
    categoryIds = categoryBranchIds(categories, category.id);
  }
  let idNumber: string | undefined;
  if (query.idNumber !== undefined) {
    idNumber = query.idNumber.trim().toUpperCase();
    const problem = checkIdNumber(idNumber);
    if (problem) throw invalid('ID_NUMBER_INVALID', `身份证号有误：${problem}`);
  }
  const rows = await listItemRows(db, {
    ...query,
    idNumber,
    categoryIds,
    afterId: query.cursor,
    limit,
    scope,
  });
  const items = await withholdUngranted(db, rows, scope);
  return { items, nextCursor: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
}

/** The mutable fields of an item as input, so an edit is validated exactly like a filing. */
function itemAsInput(item: Item): Record<string, unknown> {
  return {
    fonds: item.fonds,
    category: item.category,
    year: item.year,
    org: item.org || undefined,
    retention: item.retention,
    title: item.title,
    docNumber: item.docNumber,
    responsible: item.responsible,
    date: item.date,
    securityLevel: item.securityLevel,
    insuredNumber: item.insuredNumber,
    idNumber: item.idNumber,
    name: item.name,
    businessType: item.businessType,
    handledAt: item.handledAt,
    handler: item.handler,
    agency: item.agency,
    poolingRegion: item.poolingRegion,
    amount: item.amount,
    carrier: item.carrier,
    paperLocation: item.paperLocation,
    sensitivity: item.sensitivity,
    extra: item.extra,
  };
}

// Columns an edit may change: all but the 档号 and what it encodes (fixed at filing) and the
// version bookkeeping the update itself writes.
const NOT_EDITABLE = new Set<string>([
  'archive_code',
  'fonds_code',
  'category_id',
  'year',
  'org_code',
  'item_number',
  'version',
  'change_reason',
  'created_by',
  'updated_by',
]);
const EDITABLE_COLUMNS = ITEM_COLUMNS.filter((column) => !NOT_EDITABLE.has(column));

function comparable(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : canonicalJson(value);
}

/**
 * Changes an item with a reason. The version being replaced is kept whole in the history; the row
 * is locked for the change and written only if nobody changed it meanwhile.
 */
export async function updateItem(
  db: Db,
  archiveCode: string,
  patch: unknown,
  actor: string,
  options: ServiceOptions = {},
): Promise<Item> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw invalid('VALIDATION_FAILED', '变更内容应为一个 JSON 对象');
  }
  const changes = patch as Record<string, unknown>;
  const out = new IssueCollector();
  for (const key of Object.keys(changes))
    if (!PATCH_KEYS.has(key)) out.add(key, `不能修改或不认识的字段“${key.slice(0, 40)}”`);
  const reason = readText(out, changes, 'reason', true);
  if (out.issues.length > 0) throw new ValidationError(out.issues);
  return inTransaction(db, async (trx) => {
    const current = await itemForChange(trx, archiveCode, options.scope);
    const { reason: _reason, ...fields } = changes;
    const merged = { ...itemAsInput(current), ...fields };
    const context = await loadCatalogContext(trx);
    const result = prepareItem(merged, context, actor, { today: options.today ?? new Date(), editing: true });
    if (!result.item) throw new ValidationError(result.issues);
    const outside = checkInScope(options.scope, result.item, 'poolingRegion');
    if (outside) throw new ValidationError([outside]);
    const currentRow = storedColumns(current);
    const update: Record<string, unknown> = {};
    for (const column of EDITABLE_COLUMNS) {
      const next = (result.item as Record<string, unknown>)[column];
      if (comparable(next) !== comparable(currentRow[column])) update[column] = next;
    }
    if (Object.keys(update).length === 0)
      throw invalid('NO_CHANGES', '提交的内容与当前版本相同，没有需要保存的变更');
    await insertItemVersion(trx, current);
    const written = await updateItemRow(trx, current.id, current.version, {
      ...update,
      updated_by: actor,
      change_reason: reason ?? null,
    });
    if (!written) throw invalid('CONCURRENT_CHANGE', '该档案刚被他人修改，请刷新后重试');
    const changed = await getItem(trx, archiveCode);
    await appendEvent(trx, {
      actor,
      action: 'item.changed',
      subject: itemSubject(archiveCode),
      payload: { version: changed.version, fields: Object.keys(update).sort(), reason: reason ?? null },
      previousState: itemState(current),
      state: itemState(changed),
    });
    return changed;
  });
}

/** The item's columns in stored form, to compare with a prepared edit. */
function storedColumns(item: Item): Record<string, unknown> {
  return {
    retention: item.retention,
    retention_expires_on: item.retentionExpiresOn,
    title: item.title,
    doc_number: item.docNumber,
    responsible: item.responsible,
    doc_date: item.date,
    security_level: item.securityLevel,
    insured_number: item.insuredNumber,
    id_number: item.idNumber,
    person_name: item.name,
    business_type: item.businessType,
    handled_at: item.handledAt,
    handler: item.handler,
    handling_agency: item.agency,
    pooling_region: item.poolingRegion,
    amount: item.amount,
    carrier: item.carrier,
    paper_location: item.paperLocation,
    sensitivity: item.sensitivity,
    extra: item.extra,
  };
}

/** Every version of an item, oldest first, the current one last. */
export async function itemHistory(db: Db, archiveCode: string, scope?: ItemScope): Promise<ItemVersion[]> {
  const current = await getItem(db, archiveCode, scope);
  const earlier = await listItemVersions(db, current.id);
  return [
    ...earlier,
    {
      version: current.version,
      changedBy: current.updatedBy,
      changedAt: current.updatedAt,
      reason: current.changeReason,
      item: current,
    },
  ];
}
