import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { invalid, YidangError } from '../../shared/errors.js';
import { markTransferred } from '../catalog/transferred.js';
import { recordEvent } from '../integrity/event-log.js';
import { removeBag } from './bag.remove.js';
import { type VerifiedReceipt, verifyReceipt } from './receipt.js';
import { keepYears, keyFingerprint, transferSubject } from './transfer.names.js';
import { batchState, moveBatch, settleItems } from './transfer.repo.js';
import { marksOf } from './transfer.state.js';
import { recheckBatch, stateMustBe, visibleBatch } from './transfer.service.js';

// Recording the receiver's signed 回执 (yidang transfer accept <batch> --receipt <file>): its signature
// by the key it carries, that it names this batch and the exact bag exported (the tagmanifest digest),
// and that it settles every item handed over. Accepted items become 已移交 — the sender keeps them
// read-only until the receipt's date plus YIDANG_TRANSFER_KEEP_YEARS (five by default); rejected
// items go back to normal. The receipt's bytes are kept with the batch.

const MAX_RECEIPT = 20 * 1024 * 1024;

const wrong = (message: string) =>
  new YidangError('TRANSFER_RECEIPT_INVALID', 'invalid', `回执与移交批次不符：${message}`);

/** The date `years` after a Beijing date (29 Feb → 28 Feb in a common year). */
export function yearsAfter(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y + years, m - 1, d));
  if (target.getUTCMonth() !== m - 1) target.setUTCDate(0);
  return target.toISOString().slice(0, 10);
}

export interface AcceptResult {
  code: string;
  receiver: string;
  accepted: number;
  rejected: Array<{ archiveCode: string; reason: string }>;
  keepUntil: string;
}

export async function acceptReceipt(
  db: Db,
  access: AccessContext,
  code: string,
  bytes: Buffer,
  options: { env?: NodeJS.ProcessEnv; home?: string } = {},
): Promise<AcceptResult> {
  if (access.kind === 'principal') access.authorize('transfer.manage');
  if (!Buffer.isBuffer(bytes) || bytes.length === 0)
    throw invalid('TRANSFER_RECEIPT_INVALID', '请提供接收方的回执文件');
  if (bytes.length > MAX_RECEIPT) throw invalid('TRANSFER_RECEIPT_INVALID', '回执文件过大（上限 20 MB）');
  // Before anything of the batch is told: the caller must see it.
  const { batch: seen } = await visibleBatch(db, access, code);
  // Trust is pinned when drawing (logged in the batch's state) — never the key the receipt carries,
  // nor one handed in with it: anyone can sign a receipt with a fresh key.
  const pinned = seen.receiver_key;
  if (pinned === null)
    throw invalid(
      'TRANSFER_RECEIPT_INVALID',
      `移交批次 ${seen.code} 编制时未指定接收方公钥，不能登记回执：请撤销后重新编制并指定接收方公钥（receiverKey）`,
    );
  const expectedKey = crypto.createPublicKey({
    key: Buffer.from(pinned, 'base64'),
    format: 'der',
    type: 'spki',
  });
  const receipt: VerifiedReceipt = verifyReceipt(bytes, expectedKey);
  const actor = actorIn(access);
  const result = await inTransaction(db, async (trx) => {
    const { batch, items } = await visibleBatch(trx, access, code, true);
    stateMustBe(batch, ['exported'], '登记接收回执（须先导出移交包）');
    if (receipt.batch !== batch.code)
      throw wrong(`回执所指批次为 ${receipt.batch.slice(0, 40)}，不是 ${batch.code}`);
    if (receipt.receiver.trim() !== batch.receiver)
      throw wrong(
        `回执的接收单位为“${receipt.receiver.slice(0, 100)}”，本批次的接收单位为“${batch.receiver}”`,
      );
    const moved = await recheckBatch(trx, access, batch, items, { exported: true });
    if (
      receipt.bagDigest.algorithm !== batch.export_algorithm ||
      receipt.bagDigest.value !== batch.export_digest
    )
      throw wrong('回执所指移交包的摘要与本批次导出的移交包不同（接收的不是本次导出的移交包）');
    const included = items.filter((item) => item.state === 'included');
    const byCode = new Map(included.map((item) => [item.archive_code, item]));
    const outcome = new Map<string, { accepted: boolean; reason: string }>();
    for (const entry of receipt.items) {
      if (!byCode.has(entry.archiveCode))
        throw wrong(`回执列出的档案 ${entry.archiveCode.slice(0, 100)} 不在本批次中`);
      if (outcome.has(entry.archiveCode)) throw wrong(`回执重复列出档案 ${entry.archiveCode.slice(0, 100)}`);
      outcome.set(entry.archiveCode, {
        accepted: entry.accepted && receipt.bagProblems.length === 0,
        reason: entry.reason ?? (receipt.bagProblems.length > 0 ? '移交包整体未通过校验' : '接收方拒收'),
      });
    }
    const missing = included.filter((item) => !outcome.has(item.archive_code));
    if (missing.length > 0)
      throw wrong(
        `回执没有列出 ${missing.length} 件移交的档案（如 ${missing
          .slice(0, 3)
          .map((item) => item.archive_code)
          .join('、')}）`,
      );
    const accepted = included.filter((item) => outcome.get(item.archive_code)?.accepted);
    const rejected = included
      .filter((item) => !outcome.get(item.archive_code)?.accepted)
      .map((item) => ({
        itemId: item.item_id,
        archiveCode: item.archive_code,
        reason: outcome.get(item.archive_code)?.reason ?? '',
      }));
    const receivedAt = new Date(receipt.receivedAt);
    const now = new Date();
    if (Number.isNaN(receivedAt.getTime())) throw wrong('回执的接收时间无法识别');
    // Received after this bag was exported, and not in the future (a minute's clock skew allowed).
    if (batch.exported_at && receivedAt.getTime() < new Date(batch.exported_at).getTime() - 60_000)
      throw wrong('回执的接收时间早于本批次移交包的导出时间');
    if (receivedAt.getTime() > now.getTime() + 60_000) throw wrong('回执的接收时间晚于现在');
    // The sender's read-only period runs from acceptance here at the earliest.
    const keepUntil = yearsAfter(
      beijingDate(new Date(Math.max(receivedAt.getTime(), now.getTime()))),
      keepYears(options.env),
    );
    const receiptDigest = `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
    await settleItems(
      trx,
      batch.id,
      accepted.map((item) => item.item_id),
      rejected,
    );
    await markTransferred(
      trx,
      access,
      accepted.map((item) => item.item_id),
      { batch: batch.code, at: now, keepUntil },
    );
    await moveBatch(trx, batch.id, ['exported'], {
      state: 'accepted',
      receipt: bytes.toString('utf8'),
      receipt_digest: receiptDigest,
      received_by: receipt.receiver.slice(0, 200),
      received_at: receivedAt,
      accepted_by: actor,
      accepted_at: now,
      keep_until: keepUntil,
    });
    recordEvent(trx, {
      actor,
      action: 'transfer.accepted',
      subject: transferSubject(batch.code),
      payload: {
        receiver: receipt.receiver.slice(0, 200),
        receiverKey: keyFingerprint(pinned) as string,
        receiptDigest,
        receivedAt: receivedAt.toISOString(),
        accepted: accepted.length,
        rejectedCount: rejected.length,
        rejected: rejected
          .slice(0, 100)
          .map((entry) => ({ item: entry.archiveCode, reason: entry.reason.slice(0, 200) })),
        keepUntil,
        // Accepted as exported (transfer_item.item_version); edited here since the export:
        changedSinceExport: moved.slice(0, 100),
      },
      state: await batchState(trx, batch.id, await marksOf(trx, access, batch.id)),
    });
    return {
      code: batch.code,
      receiver: receipt.receiver,
      accepted: accepted.length,
      rejected: rejected.map(({ archiveCode, reason }) => ({ archiveCode, reason })),
      keepUntil,
    };
  });
  await removeBag(options.home, result.code);
  return result;
}
