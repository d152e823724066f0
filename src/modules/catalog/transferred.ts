import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import type { Item } from './item.schema.js';
import { scopedQuery } from './item.scope.js';
import { readTransferred, type TransferredMark, writeTransferred } from './transferred.repo.js';

// 已移交: once the receiver's signed 回执 is recorded, the sender keeps the accepted items read-only
// (档发〔2012〕7号: five years by default) — no edit, no file, no retention change. The mark is written
// by the transfer module inside its acceptance transaction, whose logged batch state covers it.

export type { TransferredMark } from './transferred.repo.js';

/** Marks the items 已移交 inside the caller's transaction; every one must be in scope and unmarked. */
export async function markTransferred(
  trx: Db,
  access: AccessContext,
  itemIds: readonly number[],
  mark: TransferredMark,
): Promise<void> {
  const marked = await writeTransferred(trx, scopedQuery(access), itemIds, mark);
  if (marked !== new Set(itemIds).size)
    throw new YidangError(
      'ITEM_TRANSFERRED',
      'conflict',
      `移交批次 ${mark.batch} 中有档案已移交或不在您的档案范围内（应标记 ${itemIds.length} 件，实际 ${marked} 件）`,
    );
}

/** The 已移交 mark of each of these items that has one (in the caller's scope). */
export function transferredOf(
  db: Db,
  access: AccessContext,
  itemIds: readonly number[],
): Promise<Map<number, TransferredMark>> {
  return readTransferred(db, scopedQuery(access), itemIds);
}

/** A transferred item is kept read-only: it takes no change, no file and no new retention. */
export function refuseTransferred(item: Item): void {
  if (item.transferred)
    throw new YidangError(
      'ITEM_TRANSFERRED',
      'conflict',
      `档案 ${item.archiveCode} 已按移交批次 ${item.transferred.batch} 移交，本单位只读保存至 ${item.transferred.keepUntil}，不能修改或添加文件`,
    );
}
