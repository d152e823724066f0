import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { invalid, notFound } from '../../shared/errors.js';
import type { BagProblem } from './bag.parse.js';
import { receiptFileName } from './receipt.js';
import {
  findReceivedBag,
  listReceivedBags,
  receivedBagsOfBatch,
  receivedCounts,
  receivedItems,
} from './receive.repo.js';
import { fondsReached } from './transfer.scope.js';
import type { ReceiveBagState, ReceivedChecks } from './receive.tables.js';

// 接收, what was received: the bags received into fonds in the caller's scope and each one's items,
// for whoever may receive (transfer.receive).

/** One item's outcome as the API and CLI show it. */
export interface ReceivedItem {
  sourceArchiveCode: string;
  accepted: boolean;
  reason?: string;
  archiveCode?: string;
  checks: ReceivedChecks;
}

function authorize(access: AccessContext): void {
  if (access.kind === 'principal') access.authorize('transfer.receive');
}

export interface ReceivedBagSummary {
  id: number;
  batch: string;
  kind: 'fonds' | 'person';
  sender: string;
  fonds: string;
  state: ReceiveBagState;
  bagDigest: string;
  digestAlgorithm: string;
  receivedBy: string;
  receivedAt: string;
  problems: BagProblem[];
  /** SHA-256 of the signed 回执 as returned. */
  receiptDigest: string;
  counts: { accepted: number; rejected: number };
}

type BagRow = Awaited<ReturnType<typeof findReceivedBag>> & object;

const summary = (
  row: BagRow,
  counts: { accepted: number; rejected: number } = { accepted: 0, rejected: 0 },
): ReceivedBagSummary => ({
  id: row.id,
  batch: row.batch,
  kind: row.kind,
  sender: row.sender,
  fonds: row.fonds_code,
  state: row.state,
  bagDigest: row.bag_digest,
  digestAlgorithm: row.digest_algorithm,
  receivedBy: row.received_by,
  receivedAt: beijingIso(row.received_at),
  problems: row.problems,
  receiptDigest: row.receipt_digest,
  counts,
});

async function summaries(db: Db, rows: readonly BagRow[]): Promise<ReceivedBagSummary[]> {
  const counts = await receivedCounts(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => summary(row, counts.get(row.id)));
}

/** The bags received into fonds in the caller's scope (newest first), for whoever may receive. */
export async function listReceived(
  db: Db,
  access: AccessContext,
  limit = 100,
): Promise<ReceivedBagSummary[]> {
  authorize(access);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalid('RECEIVE_INPUT_INVALID', '条数应为 1 至 1000 的整数');
  return summaries(db, await listReceivedBags(db, limit, await fondsReached(db, access)));
}

/** One received bag with its items' outcomes, and the signed receipt. */
export async function showReceived(
  db: Db,
  access: AccessContext,
  id: number,
): Promise<ReceivedBagSummary & { items: ReceivedItem[]; receipt: string; receiptName: string }> {
  authorize(access);
  const row = await findReceivedBag(db, id);
  const fonds = await fondsReached(db, access);
  if (!row || (fonds && !fonds.includes(row.fonds_code)))
    throw notFound('RECEIVE_NOT_FOUND', `接收记录 ${id} 不存在`);
  const items = await receivedItems(db, id);
  const accepted = items.filter((i) => i.accepted).length;
  return {
    ...summary(row, { accepted, rejected: items.length - accepted }),
    items: items.map((i) => ({
      sourceArchiveCode: i.source_archive_code,
      accepted: i.accepted,
      ...(i.reason ? { reason: i.reason } : {}),
      ...(i.archive_code ? { archiveCode: i.archive_code } : {}),
      checks: i.checks,
    })),
    receipt: row.receipt,
    receiptName: receiptFileName(row.batch),
  };
}

/**
 * A received bag named by its 接收编号 or by the sender's 移交批次 (the newest receipt of it; the
 * earlier ones, e.g. a rejected bag received again, are listed). A bag of a fonds outside the scope
 * answers as missing.
 */
export async function showReceivedBatch(
  db: Db,
  access: AccessContext,
  ref: string,
): Promise<{ shown: Awaited<ReturnType<typeof showReceived>>; earlier: ReceivedBagSummary[] }> {
  authorize(access);
  const text = String(ref ?? '').trim();
  if (/^\d{1,12}$/.test(text)) return { shown: await showReceived(db, access, Number(text)), earlier: [] };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (text === '' || text.length > 100 || /[\u0000-\u001f\u007f]/.test(text))
    throw invalid('RECEIVE_INPUT_INVALID', '请给出接收编号或移交批次编号');
  const rows = await receivedBagsOfBatch(db, text, await fondsReached(db, access), 50);
  const [newest, ...rest] = rows;
  if (!newest) throw notFound('RECEIVE_NOT_FOUND', `移交批次 ${text} 没有接收记录`);
  return { shown: await showReceived(db, access, newest.id), earlier: await summaries(db, rest) };
}
