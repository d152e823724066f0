import type { Db } from '../../db/database.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { heldItemsSql } from '../catalog/hold.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { itemsOnLoanSql } from '../lending/lending.queries.js';
import { type RefusalReason, REFUSAL_REASONS } from './destruction.names.js';
import { databaseToday, itemsAmong, itemsOnOpenRegistersSql } from './destruction.repo.js';

// Why an item may not be destroyed now, checked when a register is drawn, approved and carried out:
// permanent, not yet expired (by the database's clock, so a server clock set back refuses nothing
// wrongly and lets nothing through early), on legal hold, on loan or asked for, on another open
// register, or changed since it was decided (or drawn): then the register must be drawn again.

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
}

/**
 * Today in Beijing by the database's clock, never before `notBefore` (the time the group decided, or
 * the register was drawn): a clock set back — the embedded engine's clock is the server's — cannot
 * make an item decided due look not yet due, nor one not due look due.
 */
export async function dayOf(db: Db, notBefore: Date | null): Promise<string> {
  const today = await databaseToday(db);
  const floor = notBefore ? beijingDate(notBefore) : '';
  return floor > today ? floor : today;
}

export async function refusalsOf(
  db: Db,
  expected: readonly Expected[],
  found: readonly Item[],
  options: { exceptRegister?: number; destroyed?: ReadonlySet<number>; notBefore?: Date | null } = {},
): Promise<Map<number, Refusal>> {
  const ids = expected.map((entry) => entry.itemId);
  const [today, held, onLoan, onRegister, categories] = await Promise.all([
    dayOf(db, options.notBefore ?? null),
    itemsAmong(db, heldItemsSql(), ids),
    itemsAmong(db, itemsOnLoanSql(), ids),
    itemsAmong(db, itemsOnOpenRegistersSql(options.exceptRegister ?? 0), ids),
    listCategories(db),
  ]);
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
    if (options.destroyed?.has(entry.itemId)) refuse(entry, 'destroyed');
    else if (!item) refuse(entry, 'not_found');
    else if (item.retention === 'Y') refuse(entry, 'permanent');
    else if (
      item.version !== entry.version ||
      item.retention !== entry.retention ||
      categoryId.get(item.category) !== entry.categoryId
    )
      refuse(entry, 'changed');
    else if (!item.retentionExpiresOn || item.retentionExpiresOn > today)
      refuse(entry, 'not_expired', `（${item.retentionExpiresOn ?? '永久'} 期满）`);
    else if (held.has(entry.itemId)) refuse(entry, 'held');
    else if (onLoan.has(entry.itemId)) refuse(entry, 'on_loan');
    else if (onRegister.has(entry.itemId)) refuse(entry, 'on_register');
  }
  return out;
}

/** The refusals as one Chinese sentence (the first ten named). */
export function refusalText(refusals: readonly Refusal[]): string {
  const shown = refusals.slice(0, 10).map((refusal) => refusal.message);
  return `${shown.join('；')}${refusals.length > 10 ? `；等共 ${refusals.length} 件` : ''}`;
}
