import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { scopedQuery } from './item.scope.js';
import { type ReceivedOrigin, writeReceived } from './received.repo.js';

// 接收: an item filed from another agency's transfer package keeps its 原档号 and 来源单位 as fields of
// its own (the item's page, API, CLI and search show them). Written by the transfer module in the
// transaction that files the item, beside the item.received event that names the same origin.

export type { ReceivedOrigin } from './received.repo.js';

/** Records where the item just filed came from; it must be in the caller's scope and have no origin yet. */
export async function markReceived(
  trx: Db,
  access: AccessContext,
  itemId: number,
  origin: ReceivedOrigin,
): Promise<void> {
  if (!(await writeReceived(trx, scopedQuery(access), itemId, origin)))
    throw new YidangError(
      'ITEM_NOT_FOUND',
      'not_found',
      `档案（编号 ${itemId}）不存在、不在您的档案范围内或已记录来源`,
    );
}
