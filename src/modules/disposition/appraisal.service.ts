import type { Db } from '../../db/database.js';
import { itemsAmong } from '../../db/shared-sql.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { conflict, invalid, notFound, YidangError } from '../../shared/errors.js';
import { accountOf } from '../access/principal.js';
import { dueItemKeys, type ItemDue, itemsDueState } from '../catalog/expiry.queries.js';
import { recordEvent } from '../integrity/event-log.js';
import { readNames, readReason } from './appraisal.input.js';
import {
  insertRound,
  insertRoundItems,
  itemsUnderAppraisal,
  type RoundRow,
  replaceMembers,
  roundHasOpinions,
  roundState,
} from './appraisal.repo.js';
import {
  actorOf,
  appraisalSubject,
  fondsInScope,
  MAX_ROUND_ADD,
  mayAppraise,
  membership,
  mustBeOpen,
  roundFor,
} from './appraisal.round.js';
import { itemsOnOpenRegistersSql } from './destruction.repo.js';

// 鉴定批次: a group of at least two named members (accounts that may appraise, within the fonds), one
// of them the lead; expired items added from the expiry list; members propose 继续保存 (a longer
// period) or 销毁 with a reason; the lead records the group's decision, for many items at once with
// exceptions. 继续保存 extends the item's retention through the catalog (a new version), so it comes
// back on the expiry list at its new due date. Two decisions on one item: the first wins.
/** The group as given: at least two distinct members, the lead among them, each able to appraise this fonds. */
async function readGroup(
  db: Db,
  fonds: string,
  lead: unknown,
  members: unknown,
): Promise<{ lead: string; members: string[] }> {
  const names = readNames(members, '鉴定小组成员', 50);
  if (typeof lead !== 'string' || lead.trim() === '')
    throw invalid('APPRAISAL_INPUT_INVALID', '须指定鉴定组长');
  const leadName = lead.trim();
  if (!names.includes(leadName)) names.unshift(leadName);
  if (names.length < 2)
    throw invalid('APPRAISAL_GROUP_TOO_SMALL', `鉴定小组至少须有两名成员，现只有 ${names.length} 名`);
  for (const name of names) {
    const account = await accountOf(db, { username: name });
    const principal = account?.principal;
    const shown = name.slice(0, 40);
    if (!principal)
      throw invalid('APPRAISAL_MEMBER_INVALID', `账户“${shown}”不存在或已停用，不能作为鉴定小组成员`);
    if (!principal.permissions.has('appraisal.work' as never))
      throw invalid('APPRAISAL_MEMBER_INVALID', `账户“${shown}”没有档案鉴定权限，不能作为鉴定小组成员`);
    const rows = principal.itemScope?.rows ?? [];
    if (!rows.some((row) => row.fondsCode === null || row.fondsCode === fonds))
      throw invalid(
        'APPRAISAL_MEMBER_INVALID',
        `账户“${shown}”的档案范围不含全宗 ${fonds}，不能作为鉴定小组成员`,
      );
  }
  return { lead: leadName, members: names };
}

export interface RoundSummary {
  code: string;
  fonds: string;
  title: string;
  lead: string;
  status: 'open' | 'closed';
  openedBy: string;
  openedAt: string;
}

const summaryOf = (round: RoundRow): RoundSummary => ({
  code: round.code,
  fonds: round.fondsCode,
  title: round.title,
  lead: round.lead,
  status: round.status,
  openedBy: round.openedBy,
  openedAt: round.openedAt.toISOString(),
});

export interface OpenRoundInput {
  fonds: string;
  title?: string;
  lead: string;
  members: string[];
}

/** Opens a round (鉴定批次 JD-<全宗>-<年>-<n>) in a fonds of the caller's scope, with its group. */
export async function openRound(
  db: Db,
  access: AccessContext,
  input: OpenRoundInput,
  now = new Date(),
): Promise<RoundSummary> {
  mayAppraise(access);
  const fonds = typeof input.fonds === 'string' ? input.fonds.trim() : '';
  if (!/^[0-9A-Za-z]{1,4}$/.test(fonds))
    throw invalid('APPRAISAL_INPUT_INVALID', '全宗号应为1–4位字母或数字');
  if (!fondsInScope(access, fonds)) throw notFound('FONDS_NOT_FOUND', `全宗“${fonds}”不存在`);
  const year = Number(beijingDate(now).slice(0, 4));
  const title =
    input.title === undefined || input.title === ''
      ? `${fonds}全宗${year}年到期档案鉴定`
      : readReason(input.title, '批次名称', 200);
  const group = await readGroup(db, fonds, input.lead, input.members);
  return inTransaction(db, async (trx) => {
    const round = await insertRound(trx, {
      fondsCode: fonds,
      year,
      title,
      lead: group.lead,
      openedBy: actorOf(access),
      at: now,
    });
    await replaceMembers(trx, round.id, group.members, group.lead, actorOf(access));
    recordEvent(trx, {
      actor: actorOf(access),
      action: 'appraisal.round_opened',
      subject: appraisalSubject(round.code),
      payload: { fonds, title, lead: group.lead, members: group.members },
      state: await roundState(trx, round.id),
    });
    return summaryOf(round);
  });
}

/**
 * Sets the round's group anew (at least two members, one lead): only by the round's opener or its lead,
 * and only before the first proposal or decision — from then on the group that appraised stays fixed.
 */
export async function setMembers(
  db: Db,
  access: AccessContext,
  code: string,
  input: { lead: string; members: string[] },
): Promise<RoundSummary> {
  mayAppraise(access);
  return inTransaction(db, async (trx) => {
    const round = await roundFor(trx, access, code, true);
    mustBeOpen(round);
    if (access.kind === 'principal' && access.username !== round.openedBy && access.username !== round.lead)
      throw new YidangError(
        'APPRAISAL_NOT_LEAD',
        'forbidden',
        `只有鉴定批次 ${round.code} 的发起人 ${round.openedBy} 或鉴定组长 ${round.lead} 可以更改鉴定小组`,
      );
    if (await roundHasOpinions(trx, round.id))
      throw conflict(
        'APPRAISAL_GROUP_FIXED',
        `鉴定批次 ${round.code} 已有鉴定意见或结论，鉴定小组成员已固定，不能再更改`,
      );
    const group = await readGroup(trx, round.fondsCode, input.lead, input.members);
    await replaceMembers(trx, round.id, group.members, group.lead, actorOf(access));
    recordEvent(trx, {
      actor: actorOf(access),
      action: 'appraisal.member_set',
      subject: appraisalSubject(round.code),
      payload: { lead: group.lead, members: group.members },
      state: await roundState(trx, round.id),
    });
    return summaryOf({ ...round, lead: group.lead });
  });
}

export interface ItemSelection {
  /** 档号 named one by one. */
  items?: string[];
  /** Or a part of the fonds's expiry list: everything due, a year, a category (with its branch). */
  all?: boolean;
  year?: number;
  category?: string;
}

/** Adds expired items to the round: named ones (each checked) or a part of the expiry list. */
export async function addItems(
  db: Db,
  access: AccessContext,
  code: string,
  selection: ItemSelection,
  now = new Date(),
): Promise<{ added: string[] }> {
  mayAppraise(access);
  const round = await roundFor(db, access, code);
  mustBeOpen(round);
  let chosen: ItemDue[];
  if (selection.items !== undefined) {
    const codes = readNames(selection.items, '档号', MAX_ROUND_ADD);
    const due = await itemsDueState(db, access, codes, now);
    chosen = codes.map((archiveCode) => {
      const item = due.get(archiveCode);
      if (!item || item.fonds !== round.fondsCode)
        throw notFound(
          'ITEM_NOT_FOUND',
          `档号“${archiveCode.slice(0, 100)}”不存在或不在全宗 ${round.fondsCode} 中`,
        );
      if (item.expiresOn === null)
        throw invalid('APPRAISAL_ITEM_PERMANENT', `档案 ${archiveCode} 永久保管，不列入到期鉴定`);
      if (!item.due)
        throw invalid(
          'APPRAISAL_ITEM_NOT_DUE',
          `档案 ${archiveCode} 于 ${item.expiresOn} 到期，尚未到期，不能列入鉴定`,
        );
      if (item.destroyed)
        throw conflict('ITEM_DESTROYED', `档案 ${archiveCode} 已按销毁清册 ${item.destroyed} 销毁`);
      return item;
    });
  } else {
    if (!selection.all && selection.year === undefined && selection.category === undefined)
      throw invalid('APPRAISAL_INPUT_INVALID', '请指定档号，或从到期清单中选取（全部、某年度或某类别）');
    if (selection.year !== undefined && !Number.isInteger(selection.year))
      throw invalid('APPRAISAL_INPUT_INVALID', '年度应为整数');
    chosen = (
      await dueItemKeys(
        db,
        access,
        {
          fonds: round.fondsCode,
          ...(selection.year !== undefined ? { year: selection.year } : {}),
          ...(selection.category !== undefined ? { category: String(selection.category) } : {}),
        },
        MAX_ROUND_ADD * 2,
        now,
      )
    ).filter((item) => item.destroyed === null);
  }
  return inTransaction(db, async (trx) => {
    const locked = await roundFor(trx, access, code, true);
    mustBeOpen(locked);
    // What the group appraises is chosen by the group (or whoever opened the round), not any appraiser.
    if (
      access.kind === 'principal' &&
      access.username !== locked.openedBy &&
      !(await membership(trx, access, locked)).member
    )
      throw new YidangError(
        'APPRAISAL_NOT_MEMBER',
        'forbidden',
        `您不是鉴定批次 ${locked.code} 的发起人或鉴定小组成员，不能向其列入档案`,
      );
    const present = await itemsUnderAppraisal(
      trx,
      chosen.map((item) => item.itemId),
    );
    const inThisRound = new Set(present.filter((row) => row.roundId === locked.id).map((row) => row.itemId));
    const busy = present.filter((row) => row.roundId !== locked.id && !row.decided);
    // An item on a register still open was decided already and waits to be destroyed.
    const onRegister = await itemsAmong(
      trx,
      itemsOnOpenRegistersSql(),
      chosen.map((item) => item.itemId),
    );
    if (selection.items !== undefined && onRegister.size > 0) {
      const first = chosen.find((item) => onRegister.has(item.itemId));
      throw conflict('APPRAISAL_ITEM_BUSY', `档案 ${first?.archiveCode} 已列入尚未执行完毕的销毁清册`);
    }
    if (selection.items !== undefined) {
      const named = [...present.filter((row) => row.roundId === locked.id), ...busy];
      if (named.length > 0) {
        const first = named[0] as (typeof named)[number];
        throw conflict(
          'APPRAISAL_ITEM_BUSY',
          `档案 ${first.archiveCode} 已列入鉴定批次 ${first.round}${named.length > 1 ? ` 等（共 ${named.length} 件）` : ''}`,
        );
      }
    }
    // From the list, what is already under appraisal is left where it is.
    const busyIds = new Set(busy.map((row) => row.itemId));
    const adding = chosen
      .filter(
        (item) => !inThisRound.has(item.itemId) && !busyIds.has(item.itemId) && !onRegister.has(item.itemId),
      )
      .slice(0, MAX_ROUND_ADD);
    if (adding.length === 0) return { added: [] };
    await insertRoundItems(trx, locked.id, adding, actorOf(access), now);
    const added = adding.map((item) => item.archiveCode);
    recordEvent(trx, {
      actor: actorOf(access),
      action: 'appraisal.items_added',
      subject: appraisalSubject(locked.code),
      payload: { items: added },
      state: await roundState(trx, locked.id),
    });
    return { added };
  });
}
