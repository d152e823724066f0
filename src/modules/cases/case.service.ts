import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { conflict, invalid, notFound, YidangError } from '../../shared/errors.js';
import { accessContextOf, accountOf, can } from '../access/principal.js';
import { findFonds } from '../catalog/fonds.service.js';
import { placeHold } from '../catalog/hold.service.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { fundRegions } from '../fund/settlement.scope.js';
import { recordEvent } from '../integrity/event-log.js';
import { isRegionCode } from '../regions/regions.js';
import { archivesOfClues, attachClues, type CaseClue, readCaseClues } from './case.clues.js';
import { archiveCodes, caseCodeOf, caseText, clueIds, reasonText } from './case.input.js';
import {
  type CaseRow,
  caseStateRows,
  cluesInCases,
  findCase,
  insertCase,
  insertCaseClues,
  insertCaseHold,
  insertEvidence,
  insertNote,
  nextCaseNumber,
  type Regions,
  updateCase,
} from './case.repo.js';
import type { CaseSource } from './case.tables.js';

// 核查案件: opened from 线索 or by hand (a 举报, with its reason) in a region and a fonds; assigned to a
// supervisor; examined (notes, archives attached as evidence); concluded (case.conclude.ts) and closed
// (case.close.ts). Opening holds the archives behind its clues, and evidence attached later is held
// too: one hold per fonds per step (holds are per fonds and name their items; a hold is never
// widened), each recorded on the case, so closing lifts exactly the holds the case placed.
// Access: case.work to change, fund.read to read, and the case's region within the caller's regions —
// a case outside them is not found, exactly like one that does not exist.

export interface OpenCaseInput {
  title?: unknown;
  fonds?: unknown;
  region?: unknown;
  /** 立案依据 for a case opened by hand (e.g. 举报); optional with clues. */
  reason?: unknown;
  clues?: unknown;
  items?: unknown;
  assignee?: unknown;
}

export const caseSubject = (code: string) => `case:${code}`;

export function authorizeCases(access: AccessContext, permission: 'case.work' | 'fund.read'): void {
  if (access.kind === 'principal') access.authorize(permission);
}

/** The region prefixes the caller reaches (null: all): the same regions as its settlements and clues. */
export const caseRegions = (db: Db, access: AccessContext): Promise<Regions> => fundRegions(db, access);

const reaches = (regions: Regions, region: string) =>
  regions === null || regions.some((prefix) => region.startsWith(prefix));

/** A case within the caller's regions, or CASE_NOT_FOUND (the same answer as one that does not exist). */
export async function visibleCase(
  db: Db,
  access: AccessContext,
  code: unknown,
  forUpdate = false,
): Promise<CaseRow> {
  const wanted = caseCodeOf(code);
  const row = wanted ? await findCase(db, wanted, await caseRegions(db, access), forUpdate) : undefined;
  if (!row)
    throw notFound(
      'CASE_NOT_FOUND',
      `核查案件 ${
        typeof code === 'string'
          ? code
              .trim()
              .slice(0, 24)
              .replace(/\d{10,}/g, '…')
          : ''
      } 不存在（案件编号为 HC、四位年度与序号）`,
    );
  return row;
}

export function refuseState(row: CaseRow, allowed: readonly CaseRow['state'][], step: string): void {
  if (allowed.includes(row.state)) return;
  const names: Record<CaseRow['state'], string> = {
    open: '立案',
    examining: '核查中',
    concluded: '已结论',
    closed: '已结案',
  };
  throw new YidangError(
    'CASE_STATE',
    'conflict',
    `核查案件 ${row.code} 当前为“${names[row.state]}”，不能${step}（须在${allowed.map((state) => `“${names[state]}”`).join('或')}时）`,
  );
}

/** The assignee named: an enabled account holding case.work whose regions reach the case's region. */
async function checkAssignee(db: Db, value: unknown, region: string): Promise<string> {
  const username = caseText(value, '承办人', 64, true);
  const account = await accountOf(db, { username });
  const problem = !account
    ? '不存在'
    : !account.principal || account.disabled
      ? '已停用'
      : !can(account.principal, 'case.work')
        ? '没有核查案件权限'
        : !reaches(await caseRegions(db, await accessContextOf(db, account.principal)), region)
          ? `的范围不含地区 ${region}`
          : null;
  if (problem)
    throw invalid(
      'CASE_ASSIGNEE_INVALID',
      `承办人“${username.slice(0, 30)}”${problem}：须是有核查案件权限、范围包含该地区的在用账户`,
    );
  return username;
}

/**
 * The archives named as evidence, each in the caller's scope (a sensitive one may be named without a
 * grant: it is held and listed, its content stays withheld), grouped by fonds.
 */
async function evidenceItems(
  db: Db,
  access: AccessContext,
  codes: readonly string[],
): Promise<Array<{ archiveCode: string; fonds: string }>> {
  if (codes.length === 0) return [];
  const found = await findItemsByCodes(db, codes, scopedQuery(access));
  const byCode = new Map(found.map((item) => [item.archiveCode, item]));
  const missing = codes.filter((code) => !byCode.has(code));
  if (missing.length > 0)
    throw notFound(
      'ITEM_NOT_FOUND',
      `档号不存在或不在您的档案范围内：${missing
        .slice(0, 5)
        .join('、')
        .replace(/\d{10,}/g, '（一串数字，不回显）')
        .slice(0, 300)}${missing.length > 5 ? ` 等 ${missing.length} 个` : ''}`,
    );
  return codes.map((code) => ({ archiveCode: code, fonds: (byCode.get(code) as { fonds: string }).fonds }));
}

/** Holds the newly attached archives, one hold per fonds, recorded on the case; returns the hold codes. */
async function holdEvidence(
  trx: Db,
  access: AccessContext,
  row: { id: number; code: string; title: string },
  items: ReadonlyArray<{ archiveCode: string; fonds: string }>,
): Promise<string[]> {
  const byFonds = new Map<string, string[]>();
  for (const item of items) byFonds.set(item.fonds, [...(byFonds.get(item.fonds) ?? []), item.archiveCode]);
  const codes: string[] = [];
  for (const [fonds, archives] of [...byFonds].sort(([a], [b]) => a.localeCompare(b))) {
    const hold = await placeHold(
      trx,
      access,
      {
        fonds,
        kind: 'items',
        items: archives,
        reason: `核查案件 ${row.code}（${row.title}）在查，冻结相关档案`.slice(0, 500),
        caseRef: row.code,
      },
      { source: 'case' },
    );
    await insertCaseHold(trx, row.id, hold.code, fonds);
    codes.push(hold.code);
  }
  return codes;
}

async function caseState(trx: Db, id: number, code: string) {
  return (await caseStateRows(trx, id)).get(caseSubject(code));
}

/** Clues to put in a case: each readable by the caller, in the case's region, in no open case. */
async function cluesFor(db: Db, access: AccessContext, ids: readonly number[], region: string | null) {
  const clues = await readCaseClues(db, access, ids);
  const taken = await cluesInCases(db, ids);
  const busy = ids.filter((id) => taken.has(id));
  if (busy.length > 0)
    throw conflict(
      'CASE_CLUE_TAKEN',
      `线索 ${busy.slice(0, 5).join('、')} 已在核查案件 ${[...new Set(busy.map((id) => taken.get(id)))].join('、')} 中`,
    );
  const regions = [...new Set(clues.map((clue) => clue.region))];
  if (region !== null && regions.some((other) => other !== region))
    throw invalid('CASE_INPUT_INVALID', `线索所属地区（${regions.join('、')}）与案件地区 ${region} 不同`);
  if (region === null && regions.length > 1)
    throw invalid(
      'CASE_INPUT_INVALID',
      `所选线索分属多个地区（${regions.join('、')}），一个案件只能属于一个地区`,
    );
  return clues;
}

export async function openCase(db: Db, access: AccessContext, input: OpenCaseInput, now = new Date()) {
  authorizeCases(access, 'case.work');
  if (typeof input !== 'object' || input === null)
    throw invalid('CASE_INPUT_INVALID', '立案内容应为一个对象');
  const title = caseText(input.title, '案件名称', 200, true);
  const ids = clueIds(input.clues);
  const source: CaseSource = ids.length > 0 ? 'clue' : 'manual';
  const reason =
    source === 'manual'
      ? reasonText(input.reason, '立案依据（人工立案须说明，如举报内容）')
      : caseText(input.reason, '立案依据', 500, false);
  const fondsCode = caseText(input.fonds, '全宗号', 4, true).toUpperCase();
  const regions = await caseRegions(db, access);
  const fonds = await findFonds(db, fondsCode);
  // A fonds outside the caller's scope answers exactly as one that does not exist.
  const fondsInScope =
    access.kind === 'system' ||
    access.scope.rows.some((row) => row.fondsCode === null || row.fondsCode === fondsCode);
  if (!fonds || !fondsInScope)
    throw notFound('FONDS_NOT_FOUND', `全宗“${fondsCode}”不存在或不在您的档案范围内`);
  let region = caseText(input.region, '地区', 6, false);
  if (region !== null && (!/^\d{6}$/.test(region) || !isRegionCode(region)))
    throw invalid('CASE_INPUT_INVALID', `地区应为 6 位行政区划代码，如 320115；“${region}”不是`);
  const clues = ids.length > 0 ? await cluesFor(db, access, ids, region) : [];
  region ??= clues[0]?.region ?? null;
  if (region === null) throw invalid('CASE_INPUT_INVALID', '人工立案须指明案件所属地区（6 位行政区划代码）');
  if (!reaches(regions, region)) throw invalid('CASE_INPUT_INVALID', `地区 ${region} 不在您的范围内`);
  const assignee =
    input.assignee === undefined || input.assignee === null || input.assignee === ''
      ? null
      : await checkAssignee(db, input.assignee, region);
  const named = await evidenceItems(db, access, archiveCodes(input.items));
  const behindClues = await evidenceItems(db, access, await archivesOfClues(db, access, ids));
  const actor = actorIn(access);
  return inTransaction(db, async (trx) => {
    const year = Number(beijingDate(now).slice(0, 4));
    const code = `HC${year}${String(await nextCaseNumber(trx, year)).padStart(4, '0')}`;
    const id = await insertCase(trx, {
      code,
      title,
      source,
      source_reason: reason,
      fonds_code: fondsCode,
      region,
      assignee,
      opened_by: actor,
    });
    await insertCaseClues(trx, id, clues, actor);
    await attachClues(trx, access, ids, code);
    const viaClue = await insertEvidence(trx, id, behindClues, 'clue', actor);
    const viaHand = await insertEvidence(trx, id, named, 'manual', actor);
    const added = new Set([...viaClue, ...viaHand]);
    const items = [...behindClues, ...named].filter((item) => added.has(item.archiveCode));
    const holds = await holdEvidence(trx, access, { id, code, title }, items);
    recordEvent(trx, {
      actor,
      action: 'case.opened',
      subject: caseSubject(code),
      payload: {
        title,
        source,
        reason,
        fonds: fondsCode,
        region,
        assignee,
        clues: ids,
        items: items.map((item) => item.archiveCode),
        holds,
      },
      state: await caseState(trx, id, code),
    });
    return code;
  });
}

export async function assignCase(db: Db, access: AccessContext, code: unknown, assigneeInput: unknown) {
  authorizeCases(access, 'case.work');
  const found = await visibleCase(db, access, code);
  const assignee = await checkAssignee(db, assigneeInput, found.region);
  await inTransaction(db, async (trx) => {
    const row = await visibleCase(trx, access, found.code, true);
    refuseState(row, ['open', 'examining'], '指派承办人');
    if (row.assignee === assignee) return;
    await updateCase(trx, row.id, { assignee });
    recordEvent(trx, {
      actor: actorIn(access),
      action: 'case.assigned',
      subject: caseSubject(row.code),
      payload: { assignee, previous: row.assignee },
      state: await caseState(trx, row.id, row.code),
    });
  });
  return found.code;
}

/** A note (核查情况): free text without ID numbers; the first note or evidence starts 核查中. */
export async function noteCase(db: Db, access: AccessContext, code: unknown, textInput: unknown) {
  authorizeCases(access, 'case.work');
  const body = caseText(textInput, '核查记录', 4000, true);
  const found = await visibleCase(db, access, code);
  await inTransaction(db, async (trx) => {
    const row = await visibleCase(trx, access, found.code, true);
    refuseState(row, ['open', 'examining'], '记录核查情况');
    const actor = actorIn(access);
    const note = await insertNote(trx, row.id, actor, body);
    if (row.state === 'open') await updateCase(trx, row.id, { state: 'examining' });
    recordEvent(trx, {
      actor,
      action: 'case.noted',
      subject: caseSubject(row.code),
      payload: { note },
      state: await caseState(trx, row.id, row.code),
    });
  });
  return found.code;
}

/** Attaches archives (by 档号) and/or clues; what is new is held. Returns the holds placed. */
export async function attachToCase(
  db: Db,
  access: AccessContext,
  code: unknown,
  input: { items?: unknown; clues?: unknown },
): Promise<{ items: string[]; clues: number[]; holds: string[] }> {
  authorizeCases(access, 'case.work');
  const codes = archiveCodes(input?.items);
  const ids = clueIds(input?.clues);
  if (codes.length === 0 && ids.length === 0)
    throw invalid('CASE_INPUT_INVALID', '请列出要附入的档号（items）或线索编号（clues）');
  const found = await visibleCase(db, access, code);
  refuseState(found, ['open', 'examining'], '附入证据或线索');
  const clues: CaseClue[] = ids.length > 0 ? await cluesFor(db, access, ids, found.region) : [];
  const named = await evidenceItems(db, access, codes);
  const behindClues = await evidenceItems(db, access, await archivesOfClues(db, access, ids));
  return inTransaction(db, async (trx) => {
    const row = await visibleCase(trx, access, found.code, true);
    refuseState(row, ['open', 'examining'], '附入证据或线索');
    const actor = actorIn(access);
    await insertCaseClues(trx, row.id, clues, actor);
    await attachClues(trx, access, ids, row.code);
    const added = new Set([
      ...(await insertEvidence(trx, row.id, behindClues, 'clue', actor)),
      ...(await insertEvidence(trx, row.id, named, 'manual', actor)),
    ]);
    const items = [...behindClues, ...named].filter((item) => added.has(item.archiveCode));
    const holds = await holdEvidence(trx, access, row, items);
    if (row.state === 'open') await updateCase(trx, row.id, { state: 'examining' });
    const itemCodes = items.map((item) => item.archiveCode);
    if (ids.length > 0)
      recordEvent(trx, {
        actor,
        action: 'case.clues_attached',
        subject: caseSubject(row.code),
        payload: { clues: ids, items: itemCodes, holds },
        state: await caseState(trx, row.id, row.code),
      });
    else
      recordEvent(trx, {
        actor,
        action: 'case.evidence_attached',
        subject: caseSubject(row.code),
        payload: { items: itemCodes, holds },
        state: await caseState(trx, row.id, row.code),
      });
    return { items: itemCodes, clues: ids, holds };
  });
}
