import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn, holds } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { conflict, invalid, notFound, YidangError } from '../../shared/errors.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { maskAccount } from '../../shared/masking.js';
import { hasBadText } from '../../shared/well-formed.js';
import { recordEvent } from '../integrity/event-log.js';
import { loadCatalogContext } from './catalog.context.js';
import {
  HOLD_QUERY_FIELDS,
  HOLD_SELECTOR_KINDS,
  HOLD_SOURCES,
  HOLD_STATES,
  type HoldQueryField,
  isHoldSelectorKind,
} from './hold.names.js';
import {
  countHeld,
  countListedOutside,
  findHold,
  type HoldRow,
  type HoldSelectorRow,
  heldItemCodes,
  holdStateRows,
  insertHold,
  listHoldRows,
  markLifted,
  nextHoldNumber,
} from './hold.repo.js';
import { holdFondsCondition, holdScopeProblem } from './hold.scope.js';
import type { HoldSelectorKind, HoldSource } from './hold.tables.js';
import { checkIdNumber, maskIdNumber, refuseIdNumberInText } from './id-number.js';
import { findItemsByCodes } from './item.repo.js';
import { scopedQuery } from './item.scope.js';

// 冻结 (legal holds): an archivist or auditor (hold.manage) holds items named by 档号, by a query over
// a fonds, or by a category and year, with a reason and a case reference; a held item cannot be
// destroyed, transferred or have its retention shortened. Lifting needs a reason; both are events.
// A hold names items but shows no content. A hold by condition counts a person's (or an institution's)
// records, so its count is content: only whoever may read items sees it (an auditor sees none).

export const MAX_HOLD_ITEMS = 1000;
const SHOWN_ITEMS = 200;

export interface HoldInput {
  fonds?: string;
  kind?: string;
  items?: readonly string[];
  category?: string;
  year?: number;
  /** The person's ID number: only its blind index and masked form are kept or shown. */
  idNumber?: string;
  insuredNumber?: string;
  org?: string;
  institution?: string;
  businessType?: string;
  reason?: string;
  caseRef?: string;
}

export interface HoldView {
  code: string;
  fonds: string;
  kind: HoldSelectorKind;
  kindName: string;
  selector: {
    category: string | null;
    categoryName: string | null;
    year: number | null;
    /** Masked (first 6 and last 4 characters). */
    idNumber: string | null;
    /** Masked (4 + 4). */
    insuredNumber: string | null;
    org: string | null;
    institution: string | null;
    businessType: string | null;
  };
  /** The selector in words, e.g. 全宗 J013，年度 2024，参保人身份证号 320115********1234. */
  summary: string;
  reason: string;
  caseRef: string | null;
  source: HoldSource;
  sourceName: string;
  state: keyof typeof HOLD_STATES;
  stateName: string;
  placedBy: string;
  placedAt: string;
  liftedBy: string | null;
  liftedAt: string | null;
  liftReason: string | null;
  /**
   * How many items within the caller's scope the hold covers now (a query hold: evaluated now); null
   * for a hold by condition when the caller may not read items (the count would tell them content).
   */
  itemCount: number | null;
}

export interface HoldDetail extends HoldView {
  /** The 档号 of covered items within the caller's scope (first 200), for those who read archives; else null. */
  items: string[] | null;
}

const authorizeHolds = (access: AccessContext) => {
  if (access.kind === 'principal') access.authorize('hold.manage');
};

/** Trimmed text of at most `max` characters, without control characters, broken text or an ID number. */
function text(value: unknown, label: string, max: number, required: boolean): string | null {
  if (value === undefined || value === null) {
    if (required) throw invalid('HOLD_INPUT_INVALID', `须填写${label}`);
    return null;
  }
  if (typeof value !== 'string') throw invalid('HOLD_INPUT_INVALID', `${label}应为文字`);
  const trimmed = value.trim();
  if (hasBadText(trimmed))
    throw invalid('HOLD_INPUT_INVALID', `${label}含有无法保存的字符（空字符或不成对的代理字符）`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw invalid('HOLD_INPUT_INVALID', `${label}含有控制字符`);
  if ([...trimmed].length > max) throw invalid('HOLD_INPUT_INVALID', `${label}最多${max}个字符`);
  if (trimmed === '') {
    if (required) throw invalid('HOLD_INPUT_INVALID', `须填写${label}`);
    return null;
  }
  refuseIdNumberInText(label, trimmed);
  return trimmed;
}

function reasonText(value: unknown, label: string): string {
  const reason = text(value, label, 500, true) as string;
  if ([...reason].length < 4) throw invalid('HOLD_INPUT_INVALID', `${label}至少4个字`);
  return reason;
}

const QUERY_KEYS: HoldQueryField[] = Object.keys(HOLD_QUERY_FIELDS) as HoldQueryField[];

/** Places a hold and records hold.placed; returns it as the caller may see it. */
export async function placeHold(
  db: Db,
  access: AccessContext,
  input: HoldInput,
  options: { source?: HoldSource; now?: Date } = {},
): Promise<HoldView> {
  authorizeHolds(access);
  if (typeof input !== 'object' || input === null)
    throw invalid('HOLD_INPUT_INVALID', '冻结内容应为一个对象');
  const context = await loadCatalogContext(db);
  const fondsCode = text(input.fonds, '全宗号', 4, false)?.toUpperCase() ?? null;
  const given = QUERY_KEYS.filter(
    (key) => input[key] !== undefined && input[key] !== null && input[key] !== '',
  );
  const items = input.items ?? [];
  if (!fondsCode && given.length === 0 && items.length === 0)
    throw invalid('HOLD_SELECTOR_EMPTY', '冻结须指明全宗，以及档号、查询条件或类别与年度');
  if (!fondsCode) throw invalid('HOLD_SELECTOR_EMPTY', '冻结须指明全宗（--fonds）');
  // A fonds outside the scope answers exactly as one that does not exist.
  if (!context.fonds.has(fondsCode) || holdScopeProblem(access, fondsCode, 'fonds'))
    throw notFound('FONDS_NOT_FOUND', `全宗“${fondsCode}”不存在或不在您的档案范围内`);
  const kind = input.kind ?? (items.length > 0 ? 'items' : 'query');
  if (typeof kind !== 'string' || !isHoldSelectorKind(kind))
    throw invalid(
      'HOLD_INPUT_INVALID',
      `冻结方式应为 ${Object.entries(HOLD_SELECTOR_KINDS)
        .map(([code, name]) => `${code}（${name}）`)
        .join('、')} 之一`,
    );
  const reason = reasonText(input.reason, '冻结原因');
  const caseRef = text(input.caseRef, '案件编号', 100, false);
  const selector = readSelector(kind, input, given, items, context.categories);
  const problem = holdScopeProblem(
    access,
    fondsCode,
    kind === 'items' ? 'fonds' : { categoryId: selector.categoryId },
  );
  if (problem) throw new YidangError('HOLD_OUTSIDE_SCOPE', 'forbidden', problem);
  const actor = actorIn(access);
  const placed = await inTransaction(db, async (trx) => {
    let itemIds: number[] = [];
    if (kind === 'items') itemIds = await itemsToHold(trx, access, fondsCode, items);
    const year = Number(beijingDate(options.now ?? new Date()).slice(0, 4));
    const code = `DJ-${year}-${await nextHoldNumber(trx, year)}`;
    const id = await insertHold(trx, {
      code,
      fondsCode,
      selector,
      reason,
      caseRef,
      source: options.source ?? 'manual',
      placedBy: actor,
      itemIds,
    });
    const count = (await countHeld(trx, [id], scopedQuery(access))).get(id) ?? 0;
    const row = await findHold(trx, code);
    if (!row) throw new Error(`hold ${code} vanished while being placed`);
    recordEvent(trx, {
      actor,
      action: 'hold.placed',
      subject: `hold:${code}`,
      payload: {
        fonds: fondsCode,
        kind,
        selector: describeSelector(row),
        ...(mayCount(access, kind) ? { items: count } : {}),
        reason,
        caseRef,
        source: options.source ?? 'manual',
      },
      state: (await holdStateRows(trx, id)).get(`hold:${code}`),
    });
    return { row, count };
  });
  return holdView(access, placed.row, placed.count);
}

function readSelector(
  kind: HoldSelectorKind,
  input: HoldInput,
  given: HoldQueryField[],
  items: readonly string[],
  categories: Map<string, { id: number; code: string }>,
): HoldSelectorRow {
  const none: HoldSelectorRow = {
    kind,
    categoryId: null,
    year: null,
    idNumberIndex: null,
    idNumberMasked: null,
    insuredNumber: null,
    org: null,
    institution: null,
    businessType: null,
  };
  const names = (keys: HoldQueryField[]) => keys.map((key) => HOLD_QUERY_FIELDS[key]).join('、');
  if (kind === 'items') {
    if (given.length > 0)
      throw invalid('HOLD_INPUT_INVALID', `按档号冻结时不能同时给出查询条件（${names(given)}）`);
    if (!Array.isArray(items) || items.length === 0)
      throw invalid('HOLD_SELECTOR_EMPTY', '按档号冻结须至少列出一个档号');
    return none;
  }
  if (items.length > 0) throw invalid('HOLD_INPUT_INVALID', '按条件或按类别和年度冻结时不能同时列出档号');
  if (kind === 'category_year') {
    const extra = given.filter((key) => key !== 'category' && key !== 'year');
    if (extra.length > 0)
      throw invalid('HOLD_INPUT_INVALID', `按类别和年度冻结只取类别和年度，不能再给出${names(extra)}`);
    if (!given.includes('category') || !given.includes('year'))
      throw invalid('HOLD_SELECTOR_EMPTY', '按类别和年度冻结须同时给出类别和年度');
  }
  if (given.length === 0)
    throw invalid(
      'HOLD_SELECTOR_EMPTY',
      `冻结条件除全宗外至少还须有一项（${names(QUERY_KEYS)}），不能冻结整个全宗`,
    );
  const selector = { ...none };
  if (input.category !== undefined && input.category !== '') {
    const code = text(input.category, '类别', 16, true) as string;
    const category = categories.get(code.toUpperCase());
    if (!category) throw notFound('CATEGORY_NOT_FOUND', `类别“${hideDigitRuns(code)}”不存在`);
    selector.categoryId = category.id;
  }
  if (input.year !== undefined) {
    if (!Number.isInteger(input.year) || (input.year as number) < 1900 || (input.year as number) > 2200)
      throw invalid('HOLD_INPUT_INVALID', '年度应为 1900–2200 之间的整数');
    selector.year = input.year as number;
  }
  if (input.idNumber !== undefined && input.idNumber !== '') {
    if (typeof input.idNumber !== 'string') throw invalid('HOLD_INPUT_INVALID', '参保人身份证号应为文字');
    const idNumber = input.idNumber.trim().toUpperCase();
    // The number itself is never repeated back: the problem is named, the digits are not.
    const problem = checkIdNumber(idNumber);
    // checkIdNumber quotes the region code or birth date it rejects: drop the quotes' content here.
    if (problem) throw invalid('ID_NUMBER_INVALID', `参保人身份证号无效：${problem.replace(/“[^”]*”/g, '')}`);
    selector.idNumberIndex = idNumberIndex(idNumber);
    selector.idNumberMasked = maskIdNumber(idNumber);
  }
  selector.insuredNumber = text(input.insuredNumber, '参保人编号', 32, false);
  selector.org = text(input.org, '机构/问题代码', 16, false)?.toUpperCase() ?? null;
  selector.institution = text(input.institution, '定点机构编码', 32, false);
  selector.businessType = text(input.businessType, '业务类型', 50, false);
  return selector;
}

/** The ids of the items named, each in the caller's scope and in the hold's fonds, or a clear refusal. */
async function itemsToHold(
  trx: Db,
  access: AccessContext,
  fondsCode: string,
  items: readonly string[],
): Promise<number[]> {
  const codes = [...new Set(items.map((code) => (typeof code === 'string' ? code.trim() : '')))];
  if (codes.some((code) => code === '' || hasBadText(code) || [...code].length > 200))
    throw invalid('HOLD_INPUT_INVALID', '档号不能为空，且不能含有空字符或不成对的代理字符');
  if (codes.length > MAX_HOLD_ITEMS)
    throw invalid('HOLD_INPUT_INVALID', `一次最多冻结 ${MAX_HOLD_ITEMS} 个档号，请改按条件冻结`);
  const found = await findItemsByCodes(trx, codes, scopedQuery(access));
  const byCode = new Map(found.map((item) => [item.archiveCode, item]));
  const missing = codes.filter((code) => !byCode.has(code));
  if (missing.length > 0)
    throw notFound(
      'ITEM_NOT_FOUND',
      `档号不存在或不在您的档案范围内：${hideDigitRuns(missing.slice(0, 5).join('、')).slice(0, 300)}${missing.length > 5 ? ` 等 ${missing.length} 个` : ''}`,
    );
  const elsewhere = found.filter((item) => item.fonds !== fondsCode).map((item) => item.archiveCode);
  if (elsewhere.length > 0)
    throw invalid(
      'HOLD_INPUT_INVALID',
      `以下档案不属于全宗 ${fondsCode}：${elsewhere.slice(0, 5).join('、').slice(0, 300)}`,
    );
  return found.map((item) => item.id).sort((a, b) => a - b);
}

/** Lifts an active hold with a reason and records hold.lifted; a second lift is refused. */
export async function liftHold(
  db: Db,
  access: AccessContext,
  code: string,
  reasonInput: unknown,
  options: { byCase?: string } = {},
): Promise<HoldView> {
  authorizeHolds(access);
  const reason = reasonText(reasonInput, '解除冻结的原因');
  const actor = actorIn(access);
  const lifted = await inTransaction(db, async (trx) => {
    // A case's hold (source 'case') is the case's: nobody lifts it by hand while the case runs, and the
    // case lifts its own at closing whatever the closer's archive scope (review G6, G7).
    const own = options.byCase ? await findHold(trx, String(code).trim().toUpperCase(), true) : undefined;
    const byCase = own?.source === 'case' && own.case_ref === options.byCase;
    const row = byCase && own ? own : await visibleHold(trx, access, code, true);
    if (row.source === 'case' && !byCase && row.lifted_at === null)
      throw conflict(
        'HOLD_CASE_OWNED',
        `冻结 ${row.code} 由核查案件 ${row.case_ref ?? ''} 放置，结案时自动解除，不能单独解除`,
      );
    const beyond = byCase ? null : await liftScopeProblem(trx, access, row);
    if (beyond) throw new YidangError('HOLD_OUTSIDE_SCOPE', 'forbidden', beyond);
    const subject = `hold:${row.code}`;
    const before = (await holdStateRows(trx, row.id)).get(subject);
    if (row.lifted_at !== null || !(await markLifted(trx, row.id, actor, reason)))
      throw conflict(
        'HOLD_ALREADY_LIFTED',
        `冻结 ${row.code} 已于 ${beijingDate(row.lifted_at ?? new Date())} 由 ${row.lifted_by ?? '他人'} 解除，不能重复解除`,
      );
    const count = (await countHeld(trx, [row.id], scopedQuery(access))).get(row.id) ?? 0;
    const after = (await findHold(trx, row.code)) as HoldRow;
    recordEvent(trx, {
      actor,
      action: 'hold.lifted',
      subject,
      payload: { reason, ...(mayCount(access, row.selector_kind) ? { items: count } : {}) },
      previousState: before,
      state: (await holdStateRows(trx, row.id)).get(subject),
    });
    return { row: after, count };
  });
  return holdView(access, lifted.row, lifted.count);
}

/**
 * Lifting frees items for destruction and transfer, so it needs the reach placing needed: a query
 * or category-and-year hold a scope row as wide as its selector, an explicit list every listed item
 * in scope. Whoever sees the hold (its fonds in scope) is told plainly why they may not lift it.
 */
async function liftScopeProblem(db: Db, access: AccessContext, row: HoldRow): Promise<string | null> {
  if (access.kind === 'system') return null;
  const short =
    row.selector_kind === 'items'
      ? (await countListedOutside(db, row.id, scopedQuery(access))) > 0
      : holdScopeProblem(access, row.fonds_code, { categoryId: row.category_id }) !== null;
  return short
    ? `冻结 ${row.code} 覆盖超出您档案范围（地区或类别）的档案，您不能解除；须由档案范围覆盖其全部档案的人员解除`
    : null;
}

/** Whether the caller may see how many items a hold of this kind covers (see HoldView.itemCount). */
const mayCount = (access: AccessContext, kind: HoldSelectorKind) =>
  kind === 'items' || holds(access, 'item.read');

/**
 * Runs of ten or more digits (a mistyped ID or insured number given where a 档号 or a code belongs)
 * are not repeated in an error: the message names the input's place, not its digits.
 */
function hideDigitRuns(value: string): string {
  return value.replace(/[0-9０-９](?:\s?[0-9０-９]){9,}[Xx]?/g, '（一串数字，不回显）');
}

/** The holds within the caller's fonds, newest first, with their item counts. */
export async function listHolds(
  db: Db,
  access: AccessContext,
  filter: { state?: 'active' | 'lifted'; fonds?: string; limit?: number; before?: number } = {},
): Promise<{ holds: HoldView[]; nextBefore: number | null }> {
  authorizeHolds(access);
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
  const rows = await listHoldRows(db, holdFondsCondition(access), scopedQuery(access), {
    limit,
    ...(filter.state ? { state: filter.state } : {}),
    ...(filter.fonds ? { fondsCode: filter.fonds.trim().toUpperCase() } : {}),
    ...(filter.before ? { beforeId: filter.before } : {}),
  });
  return {
    holds: rows.map((row) => holdView(access, row, row.items)),
    nextBefore: rows.length === limit ? (rows.at(-1)?.id ?? null) : null,
  };
}

/** One hold with the 档号 it covers in the caller's scope (only for those who read archives). */
export async function showHold(db: Db, access: AccessContext, code: string): Promise<HoldDetail> {
  authorizeHolds(access);
  const row = await visibleHold(db, access, code, false);
  const count = (await countHeld(db, [row.id], scopedQuery(access))).get(row.id) ?? 0;
  const items = holds(access, 'item.read')
    ? await heldItemCodes(db, row.id, scopedQuery(access), SHOWN_ITEMS)
    : null;
  return { ...holdView(access, row, count), items };
}

/** A hold the caller may see (its fonds in their scope); out of scope reads as not found. */
async function visibleHold(
  db: Db,
  access: AccessContext,
  code: unknown,
  forUpdate: boolean,
): Promise<HoldRow> {
  const wanted = typeof code === 'string' ? code.trim().toUpperCase() : '';
  const row = /^DJ-\d{4}-\d{1,9}$/.test(wanted) ? await findHold(db, wanted, forUpdate) : undefined;
  if (!row || holdScopeProblem(access, row.fonds_code, 'fonds'))
    throw notFound(
      'HOLD_NOT_FOUND',
      `冻结 ${hideDigitRuns(wanted).slice(0, 40) || '（空）'} 不存在（冻结编号为 DJ-年度-序号）`,
    );
  return row;
}

/** The selector as the log and people read it: the person masked, never the number. */
function describeSelector(row: HoldRow): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (row.category_code) out.category = row.category_code;
  if (row.year !== null) out.year = row.year;
  if (row.id_number_masked) out.idNumber = row.id_number_masked;
  if (row.insured_number) out.insuredNumber = maskAccount(row.insured_number) ?? '';
  if (row.org_code) out.org = row.org_code;
  if (row.institution_code) out.institution = row.institution_code;
  if (row.business_type) out.businessType = row.business_type;
  return out;
}

function summaryOf(row: HoldRow, count: number): string {
  const parts = [`全宗 ${row.fonds_code}`];
  if (row.selector_kind === 'items') parts.push(`指定档案 ${count} 件`);
  if (row.category_code) parts.push(`类别 ${row.category_code} ${row.category_name ?? ''}`.trim());
  if (row.year !== null) parts.push(`年度 ${row.year}`);
  if (row.id_number_masked) parts.push(`参保人身份证号 ${row.id_number_masked}`);
  if (row.insured_number) parts.push(`参保人编号 ${maskAccount(row.insured_number)}`);
  if (row.org_code) parts.push(`机构/问题代码 ${row.org_code}`);
  if (row.institution_code) parts.push(`定点机构编码 ${row.institution_code}`);
  if (row.business_type) parts.push(`业务类型 ${row.business_type}`);
  return parts.join('，');
}

function holdView(access: AccessContext, row: HoldRow, count: number): HoldView {
  const state = row.lifted_at === null ? 'active' : 'lifted';
  return {
    code: row.code,
    fonds: row.fonds_code,
    kind: row.selector_kind,
    kindName: HOLD_SELECTOR_KINDS[row.selector_kind],
    selector: {
      category: row.category_code,
      categoryName: row.category_name,
      year: row.year,
      idNumber: row.id_number_masked,
      insuredNumber: maskAccount(row.insured_number),
      org: row.org_code,
      institution: row.institution_code,
      businessType: row.business_type,
    },
    summary: summaryOf(row, count),
    reason: row.reason,
    caseRef: row.case_ref,
    source: row.source,
    sourceName: HOLD_SOURCES[row.source],
    state,
    stateName: HOLD_STATES[state],
    placedBy: row.placed_by,
    placedAt: new Date(row.placed_at).toISOString(),
    liftedBy: row.lifted_by,
    liftedAt: row.lifted_at === null ? null : new Date(row.lifted_at).toISOString(),
    liftReason: row.lift_reason,
    itemCount: mayCount(access, row.selector_kind) ? count : null,
  };
}
