import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { canonicalJson } from '../../shared/canonical-json.js';
import { invalid, ValidationError, YidangError } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { loadCatalogContext } from './catalog.context.js';
import { discloseHistory, discloseItem } from './item.disclose.js';
import { PATCH_KEYS, prepareItem } from './item.prepare.js';
import { findItem, ITEM_COLUMNS, updateItemRow } from './item.repo.js';
import { isRetentionPeriod, RETENTION_LABELS, retentionYears } from './retention.js';
import { FIELD_LABELS, type Item, type ItemVersion, SECURITY_LEVELS, SENSITIVITIES } from './item.schema.js';
import { scopedQuery } from './item.scope.js';
import { checkInScope, getItem, itemForChange, type ServiceOptions } from './item.service.js';
import { itemState, itemSubject } from './item.state.js';
import { activeHoldsOn } from './hold.repo.js';
import { IssueCollector, readText } from './item.validate.js';
import { insertItemVersion, listItemVersions } from './item-version.repo.js';

// Editing archive items with a reason, each replaced version kept whole, and their history.

/** The mutable fields of an item as input, so an edit is validated exactly like a filing. */
export function itemAsInput(item: Item): Record<string, unknown> {
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

// Lowering an item's sensitivity or 密级 opens it to more people: only whoever holds item.declassify
// (the 安全保密员) may, with a reason; raising stays open to whoever may edit.
const RANKS: Record<string, { field: keyof typeof FIELD_LABELS; order: readonly string[] }> = {
  sensitivity: { field: 'sensitivity', order: Object.keys(SENSITIVITIES) },
  security_level: { field: 'securityLevel', order: Object.keys(SECURITY_LEVELS) },
};

/** The classification columns an update lowers, with their old and new values. */
function loweredBy(
  current: Record<string, unknown>,
  update: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const lowered: Record<string, { from: unknown; to: unknown }> = {};
  for (const [column, { field, order }] of Object.entries(RANKS)) {
    if (!(column in update)) continue;
    // No level at all ranks below the lowest one.
    const rank = (value: unknown) => (typeof value === 'string' ? order.indexOf(value) : -1);
    if (rank(update[column]) < rank(current[column]))
      lowered[field] = { from: current[column] ?? null, to: update[column] ?? null };
  }
  return lowered;
}

function comparable(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : canonicalJson(value);
}

/**
 * Changes an item with a reason. The version being replaced is kept whole in the history; the row
 * is locked for the change and written only if nobody changed it meanwhile. The changed item is
 * returned as the context discloses it.
 */
export async function updateItem(
  db: Db,
  archiveCode: string,
  patch: unknown,
  actor: string,
  options: ServiceOptions & {
    /** The caller holds item.declassify and may lower sensitivity or 密级. */
    mayLower?: boolean;
  },
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
  const changed = await inTransaction(db, async (trx) => {
    const current = await itemForChange(trx, archiveCode, options.access);
    const { reason: _reason, ...fields } = changes;
    const merged = { ...itemAsInput(current), ...fields };
    const context = await loadCatalogContext(trx);
    const result = prepareItem(merged, context, actor, { today: options.today ?? new Date(), editing: true });
    if (!result.item) throw new ValidationError(result.issues);
    const outside = checkInScope(options.access, result.item, 'poolingRegion');
    if (outside) throw new ValidationError([outside]);
    const currentRow = storedColumns(current);
    const update: Record<string, unknown> = {};
    for (const column of EDITABLE_COLUMNS) {
      const next = (result.item as Record<string, unknown>)[column];
      if (comparable(next) !== comparable(currentRow[column])) update[column] = next;
    }
    if (Object.keys(update).length === 0)
      throw invalid('NO_CHANGES', '提交的内容与当前版本相同，没有需要保存的变更');
    const lowered = loweredBy(currentRow, update);
    if (Object.keys(lowered).length > 0 && !options.mayLower)
      throw new YidangError(
        'DECLASSIFY_FORBIDDEN',
        'forbidden',
        `降低${Object.keys(lowered)
          .map((field) => FIELD_LABELS[field as keyof typeof FIELD_LABELS])
          .join('或')}须由安全保密员决定并说明原因，您无权降低；提高级别不受此限`,
      );
    const heldBy = (await activeHoldsOn(trx, [current.id])).get(current.id) ?? [];
    refuseShorteningHeld(current, update.retention, heldBy);
    await insertItemVersion(trx, current);
    const written = await updateItemRow(trx, current.id, current.version, {
      ...update,
      updated_by: actor,
      change_reason: reason ?? null,
    });
    if (!written) throw invalid('CONCURRENT_CHANGE', '该档案刚被他人修改，请刷新后重试');
    await refuseLeavingHold(trx, current, update, heldBy);
    // Read back within the scope but past the grant gate: a change may just have raised its sensitivity.
    const changed = await findItem(trx, archiveCode, false, scopedQuery(options.access));
    if (!changed) throw new Error(`item ${archiveCode} vanished while being changed`);
    recordEvent(trx, {
      actor,
      action: 'item.changed',
      subject: itemSubject(archiveCode),
      payload: {
        version: changed.version,
        fields: Object.keys(update).sort(),
        reason: reason ?? null,
        ...(Object.keys(lowered).length > 0 ? { lowered } : {}),
      },
      previousState: itemState(current),
      state: itemState(changed),
    });
    return changed;
  });
  return discloseItem(db, options.access, changed);
}

const yearsOf = (period: unknown) =>
  isRetentionPeriod(period) ? (retentionYears(period) ?? Number.POSITIVE_INFINITY) : Number.NaN;

type HeldBy = ReadonlyArray<{ code: string }>;

/** A held item's retention may be lengthened, never shortened (冻结): the refusal names the holds. */
function refuseShorteningHeld(current: Item, next: unknown, holds: HeldBy): void {
  if (next === undefined || !(yearsOf(next) < yearsOf(current.retention))) return;
  if (holds.length === 0) return;
  const label = (period: unknown) => (isRetentionPeriod(period) ? RETENTION_LABELS[period] : String(period));
  throw new YidangError(
    'ITEM_ON_HOLD',
    'conflict',
    `档案 ${current.archiveCode} 处于冻结中（${holds.map((hold) => hold.code).join('、')}），不能将保管期限由${label(current.retention)}缩短为${label(next)}；解除冻结后才能缩短`,
  );
}

/**
 * A query or category-and-year hold is evaluated on the item's fields, so correcting the ID number,
 * insured number, business type or 定点机构编码 of a held item would silently release it. A hold
 * preserves the records of a case as they are: an archivist expects it to keep holding the item, and
 * the fields that tie the item to the case are frozen with it. So the edit is refused, naming the
 * hold; the correction waits until the hold is lifted (with a reason, by someone whose scope covers
 * the hold) — both events in the log — rather than quietly pinning ids the hold never named.
 * Checked after the row is written (the transaction rolls back), so every selector field counts.
 */
async function refuseLeavingHold(
  trx: Db,
  current: Item,
  update: Record<string, unknown>,
  before: HeldBy,
): Promise<void> {
  if (before.length === 0) return;
  const after = new Set(((await activeHoldsOn(trx, [current.id])).get(current.id) ?? []).map((h) => h.code));
  const lost = before.filter((hold) => !after.has(hold.code)).map((hold) => hold.code);
  if (lost.length === 0) return;
  const labels: Record<string, string> = {
    id_number: FIELD_LABELS.idNumber,
    insured_number: FIELD_LABELS.insuredNumber,
    business_type: FIELD_LABELS.businessType,
    extra: `${FIELD_LABELS.extra}（定点机构编码）`,
  };
  const fields = Object.keys(update)
    .map((column) => labels[column])
    .filter((label) => label !== undefined);
  throw new YidangError(
    'ITEM_ON_HOLD',
    'conflict',
    `档案 ${current.archiveCode} 处于冻结中（${lost.join('、')}），修改${fields.join('、') || '这些字段'}会使它不再受该冻结约束；冻结期间不能修改冻结条件所依据的字段，须先解除冻结（说明原因）后再更正`,
  );
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
export async function itemHistory(
  db: Db,
  archiveCode: string,
  access: AccessContext,
): Promise<ItemVersion[]> {
  const current = await getItem(db, archiveCode, access);
  const earlier = await listItemVersions(db, current.id);
  return discloseHistory(db, access, [
    ...earlier,
    {
      version: current.version,
      changedBy: current.updatedBy,
      changedAt: current.updatedAt,
      reason: current.changeReason,
      item: current,
    },
  ]);
}
