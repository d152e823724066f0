import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { conflict, invalid, notFound, YidangError } from '../../shared/errors.js';
import { categoryBranchIds, extendRetention, itemsDueState } from '../catalog/expiry.queries.js';
import { isRetentionPeriod } from '../catalog/retention.js';
import { recordEvent } from '../integrity/event-log.js';
import { enqueueJob, isJobWaiting } from '../jobs/job.runtime.js';
import { readNames, readReason } from './appraisal.input.js';
import { roundItems, roundState, setDecidedItem, writeDecision, writeProposal } from './appraisal.repo.js';
import {
  actorOf,
  appraisalSubject,
  MAX_ROUND_ADD,
  mayAppraise,
  membership,
  mustBeOpen,
  roundFor,
} from './appraisal.round.js';
import type { AppraisalChoice } from './appraisal.tables.js';
import { EXPIRY_REFRESH_JOB } from './expiry.job.js';

// A member's proposal (鉴定意见) and the lead's decision (鉴定结论) on items of an open round: the
// first decision on an item wins; 继续保存 extends its retention through the catalog.

interface Choice {
  choice: AppraisalChoice;
  retention: string | null;
  reason: string;
}

function readChoice(
  input: { proposal?: unknown; decision?: unknown; retention?: unknown; reason?: unknown },
  what: string,
): Choice {
  const choice = input.decision ?? input.proposal;
  if (choice !== 'keep' && choice !== 'destroy')
    throw invalid('APPRAISAL_INPUT_INVALID', `${what}应为 keep（继续保存）或 destroy（销毁）`);
  const reason = readReason(input.reason, `${what}的理由`);
  if (choice === 'destroy') {
    if (input.retention !== undefined && input.retention !== null && input.retention !== '')
      throw invalid('APPRAISAL_INPUT_INVALID', '销毁不需要填写保管期限');
    return { choice, retention: null, reason };
  }
  if (!isRetentionPeriod(input.retention))
    throw invalid('APPRAISAL_INPUT_INVALID', '继续保存须填写新的保管期限（Y/D100/D50/D30/D15/D10）');
  return { choice, retention: input.retention, reason };
}

/** The round's items named by 档号 that the caller's scope reaches; any other named one is refused. */
async function namedItems(db: Db, access: AccessContext, roundId: number, codes: string[], fonds: string) {
  const rows = await roundItems(db, roundId, { codes });
  const byCode = new Map(rows.map((row) => [row.archiveCode, row]));
  for (const archiveCode of codes)
    if (!byCode.has(archiveCode))
      throw notFound('APPRAISAL_ITEM_NOT_IN_ROUND', `档案“${archiveCode.slice(0, 100)}”不在这个鉴定批次中`);
  const reachable = await itemsDueState(db, access, codes);
  for (const archiveCode of codes)
    if (reachable.get(archiveCode)?.fonds !== fonds)
      throw notFound('ITEM_NOT_FOUND', `档号“${archiveCode.slice(0, 100)}”不存在`);
  return { rows, due: reachable };
}

/** A member's proposal for items of the round still undecided. */
export async function propose(
  db: Db,
  access: AccessContext,
  code: string,
  input: { items: string[]; proposal: string; retention?: string | null; reason: string },
  now = new Date(),
): Promise<{ proposed: string[] }> {
  mayAppraise(access);
  const choice = readChoice(input, '鉴定意见');
  const codes = readNames(input.items, '档号', MAX_ROUND_ADD);
  if (codes.length === 0) throw invalid('APPRAISAL_INPUT_INVALID', '请指定要提出意见的档号');
  return inTransaction(db, async (trx) => {
    const round = await roundFor(trx, access, code, true);
    mustBeOpen(round);
    if (!(await membership(trx, access, round)).member)
      throw new YidangError(
        'APPRAISAL_NOT_MEMBER',
        'forbidden',
        `您不是鉴定批次 ${round.code} 的鉴定小组成员`,
      );
    const { rows } = await namedItems(trx, access, round.id, codes, round.fondsCode);
    for (const row of rows) {
      if (row.decision !== null)
        throw conflict(
          'APPRAISAL_DECISION_CONFLICT',
          `档案 ${row.archiveCode} 已作出鉴定结论，不能再提出意见`,
        );
      if (!(await writeProposal(trx, round.id, row.itemId, { ...choice, by: actorOf(access), at: now })))
        throw conflict(
          'APPRAISAL_DECISION_CONFLICT',
          `档案 ${row.archiveCode} 的鉴定结论刚被作出，请刷新后重试`,
        );
    }
    recordEvent(trx, {
      actor: actorOf(access),
      action: 'appraisal.proposed',
      subject: appraisalSubject(round.code),
      payload: { items: codes, proposal: choice.choice, retention: choice.retention, reason: choice.reason },
      state: await roundState(trx, round.id),
    });
    return { proposed: codes };
  });
}

export interface DecisionInput {
  /** The items decided: named, or every undecided item of the round (of a year, a category) when omitted. */
  items?: string[];
  year?: number;
  category?: string;
  decision: string;
  retention?: string | null;
  reason: string;
  /** Items decided otherwise than the batch, each with its own decision and reason. */
  exceptions?: Array<{ item: string; decision: string; retention?: string | null; reason: string }>;
  /** The row versions the caller saw (档号 → version): a change since is refused. */
  versions?: Record<string, number>;
}

export interface Decided {
  item: string;
  decision: AppraisalChoice;
  retention: string | null;
  reason: string;
}

/**
 * The group's decision, recorded by the lead: one batch with per-item exceptions. Destroy only what is
 * due as the schedule stands now; keep extends the retention (a new version of the item). If another
 * decision on any of the items landed first, nothing of this batch is recorded (a clear conflict).
 */
export async function decide(
  db: Db,
  access: AccessContext,
  code: string,
  input: DecisionInput,
  now = new Date(),
): Promise<{ decided: Decided[] }> {
  mayAppraise(access);
  const batch = readChoice(input, '鉴定结论');
  const exceptions = new Map<string, Choice>();
  if (input.exceptions !== undefined) {
    if (!Array.isArray(input.exceptions))
      throw invalid('APPRAISAL_INPUT_INVALID', '例外应为一组档案的鉴定结论');
    for (const exception of input.exceptions) {
      const [item] = readNames([exception?.item], '例外的档号', 1);
      if (!item) throw invalid('APPRAISAL_INPUT_INVALID', '例外须写明档号');
      exceptions.set(item, readChoice(exception, `例外 ${item} 的鉴定结论`));
    }
  }
  const named = input.items === undefined ? undefined : readNames(input.items, '档号', MAX_ROUND_ADD);
  const categoryIds =
    input.category === undefined ? undefined : await categoryBranchIds(db, String(input.category));
  return inTransaction(db, async (trx) => {
    const round = await roundFor(trx, access, code, true);
    mustBeOpen(round);
    if (!(await membership(trx, access, round)).lead)
      throw new YidangError(
        'APPRAISAL_NOT_LEAD',
        'forbidden',
        `鉴定结论由鉴定组长 ${round.lead} 代表小组作出`,
      );
    let codes: string[];
    if (named !== undefined) codes = [...new Set([...named, ...exceptions.keys()])];
    else {
      const undecided = await roundItems(trx, round.id, {
        undecided: true,
        ...(input.year !== undefined ? { year: Number(input.year) } : {}),
        ...(categoryIds ? { categoryIds } : {}),
      });
      codes = [...new Set([...undecided.map((row) => row.archiveCode), ...exceptions.keys()])];
    }
    if (codes.length === 0) throw invalid('APPRAISAL_INPUT_INVALID', '没有待作出鉴定结论的档案');
    if (codes.length > MAX_ROUND_ADD)
      throw invalid('APPRAISAL_INPUT_INVALID', `一次最多对 ${MAX_ROUND_ADD} 件作出结论`);
    const { rows, due } = await namedItems(trx, access, round.id, codes, round.fondsCode);
    const byCode = new Map(rows.map((row) => [row.archiveCode, row]));
    const decided: Decided[] = [];
    let kept = false;
    for (const archiveCode of codes) {
      const row = byCode.get(archiveCode);
      const item = due.get(archiveCode);
      if (!row || !item) continue;
      const choice = exceptions.get(archiveCode) ?? batch;
      // A tombstone is immutable: neither kept (a new version) nor destroyed again.
      if (item.destroyed)
        throw conflict(
          'ITEM_DESTROYED',
          `档案 ${archiveCode} 已按销毁清册 ${item.destroyed} 销毁，不能再作出鉴定结论`,
        );
      if (row.decision !== null)
        throw conflict(
          'APPRAISAL_DECISION_CONFLICT',
          `档案 ${archiveCode} 已由 ${row.decidedBy ?? '他人'} 作出鉴定结论（${row.decision === 'keep' ? '继续保存' : '销毁'}），本次结论未保存`,
        );
      if (choice.choice === 'destroy') {
        if (item.expiresOn === null)
          throw invalid(
            'APPRAISAL_ITEM_PERMANENT',
            `档案 ${archiveCode} 按现行保管期限表为永久保管，不能鉴定为销毁`,
          );
        if (!item.due)
          throw invalid(
            'APPRAISAL_ITEM_NOT_DUE',
            `档案 ${archiveCode} 按现行保管期限表于 ${item.expiresOn} 到期，尚未到期，不能鉴定为销毁`,
          );
      }
      const expected = input.versions?.[archiveCode];
      const won = await writeDecision(trx, round.id, row.itemId, {
        ...choice,
        by: actorOf(access),
        at: now,
        itemVersion: item.version,
        itemRetention: item.retention,
        ...(typeof expected === 'number' ? { expectedVersion: expected } : {}),
      });
      if (!won)
        throw conflict(
          'APPRAISAL_DECISION_CONFLICT',
          `档案 ${archiveCode} 的鉴定结论刚被他人作出或修改，本次结论未保存，请刷新后重试`,
        );
      if (choice.choice === 'keep') {
        const extended = await extendRetention(
          trx,
          access,
          {
            archiveCode,
            retention: choice.retention as string,
            reason: `鉴定批次 ${round.code} 鉴定继续保存：${choice.reason}`,
            actor: actorOf(access),
            expectedVersion: item.version,
          },
          now,
        );
        await setDecidedItem(trx, round.id, row.itemId, extended.version, extended.retention);
        kept = true;
      }
      decided.push({
        item: archiveCode,
        decision: choice.choice,
        retention: choice.retention,
        reason: choice.reason,
      });
    }
    recordEvent(trx, {
      actor: actorOf(access),
      action: 'appraisal.decided',
      subject: appraisalSubject(round.code),
      payload: { items: decided },
      state: await roundState(trx, round.id),
    });
    // A kept item falls due again at its new date: the fonds's list is refreshed soon.
    if (kept && !(await isJobWaiting(trx, EXPIRY_REFRESH_JOB, { fonds: round.fondsCode })))
      await enqueueJob(trx, { kind: EXPIRY_REFRESH_JOB, payload: { fonds: round.fondsCode } });
    return { decided };
  });
}
