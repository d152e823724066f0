import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { discloseItems } from '../catalog/item.disclose.js';
import { withholdUngranted } from '../catalog/item.gate.js';
import { findItemsByIds } from '../catalog/item.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { itemSubject } from '../catalog/item.state.js';
import { recordEvent, recordEvents } from '../integrity/event-log.js';
import {
  type FlagRow,
  flagSameBusiness,
  flagSameSerial,
  listFlags,
  lockFlag,
  resolveFlag,
} from './duplicates.repo.js';

// Duplicates (重复归档): 38% of grassroots archives were filed twice by different departments with
// conflicting key data. At ingest an archive is flagged against any earlier one of the same 参保号 and
// 业务类型 handled within the window, or pushed under the same serial by another system; the flag names
// the key fields that differ. An archivist then keeps both (with a reason) or names the record that
// stands (合并: the other is kept as its duplicate copy, since archives are not deleted without appraisal).

/** 办理时间 this close counts as the same business. */
export const DUPLICATE_WINDOW_HOURS = 72;

/**
 * Flags these newly filed items, inside the filing transaction, each flag an event of the item.
 * `sameSerial`: for one pushed item, the items other source systems pushed under its serial (push
 * finds them in its receipts, which are push's own).
 */
export async function detectDuplicates(
  trx: Db,
  itemIds: readonly number[],
  actor: string,
  sameSerial: readonly number[] = [],
): Promise<number> {
  const flags = await flagSameBusiness(trx, itemIds, DUPLICATE_WINDOW_HOURS);
  if (sameSerial.length > 0 && itemIds.length === 1)
    flags.push(...(await flagSameSerial(trx, itemIds[0] as number, sameSerial)));
  if (flags.length > 0)
    recordEvents(
      trx,
      flags.map((flag) => ({
        actor,
        action: 'item.duplicate_flagged',
        subject: itemSubject(flag.archiveCode),
        payload: { flag: flag.id, rule: flag.rule, other: flag.otherArchiveCode, fields: flag.fields },
      })),
    );
  return flags.length;
}

export interface DuplicatePair {
  flag: FlagRow;
  item: Item;
  other: Item;
}

/**
 * Flags newest first with both items as the user may see them: a pair with either item outside the
 * user's scope is left out; a sensitive item without a grant is listed withheld; the rest disclosed
 * (masked) as the context asks.
 */
export async function listDuplicates(
  db: Db,
  options: { status?: FlagRow['status']; before?: number; limit?: number; access: AccessContext },
): Promise<{ pairs: DuplicatePair[]; nextBefore: number | null }> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
  const flags = await listFlags(db, { status: options.status, before: options.before, limit });
  const ids = [...new Set(flags.flatMap((flag) => [flag.itemId, flag.otherItemId]))];
  const found = await findItemsByIds(db, ids, scopedQuery(options.access));
  const items = await withholdUngranted(db, found, options.access);
  const byId = new Map(items.map((item) => [item.id, item]));
  const pairs: DuplicatePair[] = [];
  for (const flag of flags) {
    const item = byId.get(flag.itemId);
    const other = byId.get(flag.otherItemId);
    if (!item || !other) continue;
    const [shown, shownOther] = await discloseItems(db, options.access, [item, other]);
    pairs.push({ flag, item: shown as Item, other: shownOther as Item });
  }
  return { pairs, nextBefore: flags.length === limit ? (flags.at(-1)?.id ?? null) : null };
}

export interface Resolution {
  decision: 'keep_both' | 'merge';
  /** merge: the 档号 of the record that stands (one of the two). */
  keep?: string;
  reason: string;
}

export async function resolveDuplicate(
  db: Db,
  id: number,
  resolution: Resolution,
  actor: string,
  access: AccessContext,
): Promise<FlagRow> {
  const reason = typeof resolution.reason === 'string' ? resolution.reason.trim() : '';
  if ([...reason].length < 4) throw invalid('REASON_REQUIRED', '请写明处理理由（至少 4 个字）');
  refuseIdNumberInText('处理理由', reason);
  if (resolution.decision !== 'keep_both' && resolution.decision !== 'merge')
    throw invalid('DECISION_INVALID', '处理方式应为 keep_both（都保留）或 merge（合并）');
  return inTransaction(db, async (trx) => {
    const flag = await lockFlag(trx, id);
    const items = flag ? await findItemsByIds(trx, [flag.itemId, flag.otherItemId], scopedQuery(access)) : [];
    if (!flag || items.length < 2) throw notFound('DUPLICATE_NOT_FOUND', `重复标记 ${id} 不存在`);
    if (flag.status !== 'open')
      throw conflict(
        'DUPLICATE_RESOLVED',
        `重复标记 ${id} 已处理（${flag.status === 'kept' ? '都保留' : '已合并'}）`,
      );
    let kept: Item | undefined;
    if (resolution.decision === 'merge') {
      kept = items.find((item) => item.archiveCode === resolution.keep);
      if (!kept) throw invalid('KEEP_INVALID', '合并时须指明保留哪一件（两件之一的档号）');
    }
    await resolveFlag(trx, id, {
      status: kept ? 'merged' : 'kept',
      keptItemId: kept?.id ?? null,
      actor,
      reason,
    });
    const flagged = items.find((item) => item.id === flag.itemId) as Item;
    const other = items.find((item) => item.id === flag.otherItemId) as Item;
    recordEvent(trx, {
      actor,
      action: 'item.duplicate_resolved',
      subject: itemSubject(flagged.archiveCode),
      payload: {
        flag: id,
        decision: resolution.decision,
        kept: kept?.archiveCode ?? null,
        other: other.archiveCode,
        reason,
      },
    });
    return (await lockFlag(trx, id)) as FlagRow;
  });
}
