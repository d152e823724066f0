import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { databaseToday, itemsAmong } from '../../db/shared-sql.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { itemsDueState } from '../catalog/expiry.queries.js';
import { heldItemsSql } from '../catalog/hold.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { itemsOnLoanSql } from '../lending/lending.queries.js';
import { fileDigestsOf, listItemFiles } from '../storage/storage.queries.js';
import { itemsOnOpenBatchesSql } from '../transfer/transfer.queries.js';
import { REFUSAL_REASONS, type RefusalReason } from './destruction.names.js';
import { itemsOnOpenRegistersSql } from './destruction.repo.js';

// Why an item may not be destroyed now, checked when a register is drawn, approved and started, and
// again for each item inside the carry-out's own transaction: permanent or not yet expired by the
// retention schedule as it stands (the longer of the item's and its category's current period in its
// region, as the expiry list counts), on legal hold, on loan or asked for, on another open register,
// transferred (已移交, within its keep-until day) or on an open transfer batch, or changed since it was
// decided (or drawn) — version, period, category or its files: then the
// register must be drawn again.

export interface Refusal {
  itemId: number;
  archiveCode: string;
  reason: RefusalReason;
  message: string;
}

/** What the item was when decided (or drawn): a change of version, period or category since is refused. */
export interface Expected {
  itemId: number;
  archiveCode: string;
  version: number;
  retention: string;
  categoryId: number;
  /** The digest of its file list when drawn (absent when deciding). */
  filesDigest?: string;
}

/** What a register row says the item was when drawn. */
export const expectedOf = (row: {
  item_id: number;
  archive_code: string;
  item_version: number;
  retention: string;
  category_id: number;
  files_digest: string;
}): Expected => ({
  itemId: row.item_id,
  archiveCode: row.archive_code,
  version: row.item_version,
  retention: row.retention,
  categoryId: row.category_id,
  // Registers drawn before the digest was kept have none to compare.
  ...(row.files_digest ? { filesDigest: row.files_digest } : {}),
});

/** A digest of a list taken as a set (sorted first): an item's file digests, a register's 档号. */
export function digestOfList(digests: readonly string[]): string {
  return `sha256:${crypto
    .createHash('sha256')
    .update([...digests].sort().join('\n'))
    .digest('hex')}`;
}

/** The digest of an item's file list as it stands (the digests of its files, sorted). */
export async function filesDigestOf(db: Db, itemId: number): Promise<string> {
  return digestOfList((await listItemFiles(db, itemId)).map((file) => file.digest));
}

/**
 * Today in Beijing by the database's clock, never before `notBefore` (the time the group decided, or
 * the register was approved): a clock set back — the embedded engine's clock is the server's — cannot
 * make an item decided due look not yet due.
 */
export async function dayOf(db: Db, notBefore: Date | null): Promise<string> {
  const today = await databaseToday(db);
  // ISO dates order as text: the later of the two.
  return [today, notBefore ? beijingDate(notBefore) : ''].sort().at(-1) as string;
}

export async function refusalsOf(
  db: Db,
  access: AccessContext,
  expected: readonly Expected[],
  found: readonly Item[],
  options: { exceptRegister?: number; destroyed?: ReadonlySet<number>; notBefore?: Date | null } = {},
): Promise<Map<number, Refusal>> {
  const ids = expected.map((entry) => entry.itemId);
  const today = await dayOf(db, options.notBefore ?? null);
  const [held, onLoan, onRegister, onTransfer, categories, due] = await Promise.all([
    itemsAmong(db, heldItemsSql(), ids),
    itemsAmong(db, itemsOnLoanSql(), ids),
    itemsAmong(db, itemsOnOpenRegistersSql(options.exceptRegister ?? 0), ids),
    itemsAmong(db, itemsOnOpenBatchesSql(), ids),
    listCategories(db),
    itemsDueState(
      db,
      access,
      found.map((item) => item.archiveCode),
      new Date(`${today}T12:00:00+08:00`),
    ),
  ]);
  // The file lists of all the items in one statement (a register has up to 10,000 rows).
  const files = expected.some((entry) => entry.filesDigest !== undefined)
    ? await fileDigestsOf(db, ids)
    : new Map<number, string[]>();
  const categoryId = new Map(categories.map((category) => [category.code, category.id]));
  const byId = new Map(found.map((item) => [item.id, item]));
  const out = new Map<number, Refusal>();
  const refuse = (entry: Expected, reason: RefusalReason, detail = '') =>
    out.set(entry.itemId, {
      itemId: entry.itemId,
      archiveCode: entry.archiveCode,
      reason,
      message: `${entry.archiveCode}：${REFUSAL_REASONS[reason]}${detail}`,
    });
  for (const entry of expected) {
    const item = byId.get(entry.itemId);
    const state = item ? due.get(item.archiveCode) : undefined;
    if (options.destroyed?.has(entry.itemId)) refuse(entry, 'destroyed');
    else if (!item || !state) refuse(entry, 'not_found');
    else if (state.effectiveRetention === 'Y') refuse(entry, 'permanent');
    else if (
      item.version !== entry.version ||
      item.retention !== entry.retention ||
      categoryId.get(item.category) !== entry.categoryId
    )
      refuse(entry, 'changed');
    else if (entry.filesDigest !== undefined && digestOfList(files.get(item.id) ?? []) !== entry.filesDigest)
      refuse(entry, 'files_changed');
    else if (!state.due) refuse(entry, 'not_expired', `（按现行保管期限 ${state.expiresOn ?? '永久'} 期满）`);
    else if (held.has(entry.itemId)) refuse(entry, 'held');
    else if (onLoan.has(entry.itemId)) refuse(entry, 'on_loan');
    else if (onRegister.has(entry.itemId)) refuse(entry, 'on_register');
    // 已移交: the copy kept here is read-only until its keep-until day; the receiver holds the record.
    else if (item.transferred && item.transferred.keepUntil >= today) refuse(entry, 'transferred');
    else if (onTransfer.has(entry.itemId)) refuse(entry, 'on_transfer');
  }
  return out;
}

/** The refusals as one Chinese sentence (the first ten named). */
export function refusalText(refusals: readonly Refusal[]): string {
  const shown = refusals.slice(0, 10).map((refusal) => refusal.message);
  return `${shown.join('；')}${refusals.length > 10 ? `；等共 ${refusals.length} 件` : ''}`;
}
