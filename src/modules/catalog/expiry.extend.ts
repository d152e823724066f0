import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { invalid, notFound } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { extendsRetention } from './expiry.service.js';
import { findItem, updateItemRow } from './item.repo.js';
import { refuseTransferred } from './transferred.js';
import { scopedQuery } from './item.scope.js';
import { itemState, itemSubject } from './item.state.js';
import { insertItemVersion } from './item-version.repo.js';
import { isRetentionPeriod, RETENTION_LABELS, retentionExpiry } from './retention.js';

// 继续保存: an appraisal extends an item's retention as an edit does — the replaced version kept
// whole in the history, `item.changed` with the reason — in the caller's transaction, so the decision
// and the new period commit together. Only a longer period, ending after today, is an extension.

export interface RetentionExtension {
  archiveCode: string;
  retention: string;
  reason: string;
  actor: string;
  /** The version the decision was taken on: a change since is refused (CONCURRENT_CHANGE). */
  expectedVersion?: number;
}

export interface ExtendedItem {
  itemId: number;
  archiveCode: string;
  version: number;
  retention: string;
  expiresOn: string | null;
}

export async function extendRetention(
  trx: Db,
  access: AccessContext,
  input: RetentionExtension,
  now = new Date(),
): Promise<ExtendedItem> {
  const current = await findItem(trx, input.archiveCode, true, scopedQuery(access));
  if (!current) throw notFound('ITEM_NOT_FOUND', `档号“${input.archiveCode.slice(0, 200)}”不存在`);
  refuseTransferred(current);
  if (input.expectedVersion !== undefined && current.version !== input.expectedVersion)
    throw invalid('CONCURRENT_CHANGE', `档案 ${current.archiveCode} 刚被他人修改，请刷新后重试`);
  const next = input.retention;
  if (!isRetentionPeriod(next))
    throw invalid('VALIDATION_FAILED', '保管期限应为 Y/D100/D50/D30/D15/D10 之一');
  if (!extendsRetention(current.retention, next))
    throw invalid(
      'RETENTION_NOT_EXTENDED',
      `档案 ${current.archiveCode} 现为${RETENTION_LABELS[current.retention as keyof typeof RETENTION_LABELS] ?? current.retention}，继续保存须定为更长的保管期限`,
    );
  const expiresOn = retentionExpiry(next, current.year);
  if (expiresOn !== null && expiresOn <= beijingDate(now))
    throw invalid(
      'RETENTION_NOT_EXTENDED',
      `档案 ${current.archiveCode} 按${RETENTION_LABELS[next]}于 ${expiresOn} 已到期，继续保存须定为到期日晚于今天的期限`,
    );
  await insertItemVersion(trx, current);
  const written = await updateItemRow(trx, current.id, current.version, {
    retention: next,
    retention_expires_on: expiresOn,
    updated_by: input.actor,
    change_reason: input.reason,
  });
  if (!written) throw invalid('CONCURRENT_CHANGE', `档案 ${current.archiveCode} 刚被他人修改，请刷新后重试`);
  const changed = await findItem(trx, input.archiveCode, false, scopedQuery(access));
  if (!changed) throw new Error(`item ${input.archiveCode} vanished while its retention was extended`);
  recordEvent(trx, {
    actor: input.actor,
    action: 'item.changed',
    subject: itemSubject(current.archiveCode),
    payload: {
      version: changed.version,
      fields: ['retention', 'retention_expires_on'],
      reason: input.reason,
    },
    previousState: itemState(current),
    state: itemState(changed),
  });
  return {
    itemId: changed.id,
    archiveCode: changed.archiveCode,
    version: changed.version,
    retention: changed.retention,
    expiresOn: changed.retentionExpiresOn,
  };
}
