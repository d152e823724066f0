import type { Db } from '../../db/database.js';
import { itemsAmong } from '../../db/shared-sql.js';
import type { AccessContext } from '../../shared/access-context.js';
import { heldItemsSql } from '../catalog/hold.queries.js';
import { gateItems } from '../catalog/item.gate.js';
import type { Item } from '../catalog/item.schema.js';
import { type LatestCheck, latestChecksOf } from '../check/check.queries.js';
import { CHECKS } from '../check/check.rules.js';
import { itemsOnLoanSql } from '../lending/lending.queries.js';
import { REFUSAL_REASONS, type RefusalReason } from './transfer.names.js';
import { itemsOnOpenBatchesSql, itemsTransferredSql } from './transfer.repo.js';

// Why an item may not be handed over, checked when a batch is drawn: destroyed, already transferred
// or on another open batch, on legal hold, on loan or asked for, not checked (四性检测) since its last
// change or failing its latest check, or sensitive without the drawer's grant — a transfer hands over
// the full record, so whoever draws it must be allowed to see all of it. The four-property results
// used are each item's latest kept run (the check is not run again here: run `yidang check` first).

const CHECK_NAMES = new Map<string, string>(CHECKS.map((check) => [check.id, check.name]));

export interface Refusal {
  itemId: number;
  archiveCode: string;
  reason: RefusalReason;
  message: string;
}

export interface Checked {
  refusals: Map<number, Refusal>;
  /** The latest check of every item that has one. */
  checks: Map<number, LatestCheck>;
}

export async function refusalsOf(
  db: Db,
  access: AccessContext,
  items: readonly Item[],
  options: { exceptBatch?: number; versions?: ReadonlyMap<number, number>; exported?: boolean } = {},
): Promise<Checked> {
  const ids = items.map((item) => item.id);
  const [held, onLoan, onBatch, transferred, checks, gate] = await Promise.all([
    itemsAmong(db, heldItemsSql(), ids),
    itemsAmong(db, itemsOnLoanSql(), ids),
    itemsAmong(db, itemsOnOpenBatchesSql(options.exceptBatch ?? 0), ids),
    itemsAmong(db, itemsTransferredSql(), ids),
    latestChecksOf(db, ids),
    gateItems(db, items, access),
  ]);
  const refusals = new Map<number, Refusal>();
  const refuse = (item: Item, reason: RefusalReason, detail = '') =>
    refusals.set(item.id, {
      itemId: item.id,
      archiveCode: item.archiveCode,
      reason,
      message: `${item.archiveCode}：${REFUSAL_REASONS[reason]}${detail}`,
    });
  for (const item of items) {
    const check = checks.get(item.id);
    if (options.versions && options.versions.get(item.id) !== item.version) refuse(item, 'changed');
    else if (item.destroyed) refuse(item, 'destroyed', `（销毁清册 ${item.destroyed.register}）`);
    else if (item.transferred || transferred.has(item.id)) refuse(item, 'transferred');
    else if (onBatch.has(item.id)) refuse(item, 'on_batch');
    else if (held.has(item.id)) refuse(item, 'held');
    // After the export (G17) the receiver holds the checked, exported version: a loan or an edit
    // (and its missing re-check) since then is reported at acceptance, not a refusal.
    else if (onLoan.has(item.id) && !options.exported) refuse(item, 'on_loan');
    else if (gate.ungranted.has(item.id)) refuse(item, 'sensitive');
    else if (options.exported) continue;
    else if (!check || check.finishedAt.getTime() < new Date(item.updatedAt).getTime())
      refuse(item, 'unchecked');
    else if (check.failed.length > 0)
      refuse(item, 'check_failed', `（${check.failed.map((id) => CHECK_NAMES.get(id) ?? id).join('、')}）`);
  }
  return { refusals, checks };
}

/** The refusals as one Chinese sentence (the first ten named). */
export function refusalText(refusals: readonly Refusal[]): string {
  const shown = refusals.slice(0, 10).map((refusal) => refusal.message);
  return `${shown.join('；')}${refusals.length > 10 ? `；等共 ${refusals.length} 件` : ''}`;
}
