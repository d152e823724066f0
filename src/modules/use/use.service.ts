import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn, holds, withDisclosure } from '../../shared/access-context.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { idNumberInTextProblem } from '../../shared/id-in-text.js';
import { maskName } from '../../shared/masking.js';
import { type CategoryRow, listCategories } from '../catalog/catalog.queries.js';
import { discloseItems } from '../catalog/item.disclose.js';
import { withholdUngranted } from '../catalog/item.gate.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopeCondition, scopedQuery } from '../catalog/item.scope.js';
import { recordEvent } from '../integrity/event-log.js';
import { QUERY_DETAIL_NAMES, USE_EFFECT_NAMES, USE_EFFECTS, USE_KIND_NAMES, USE_KINDS } from './use.names.js';
import { findUse, listUses as listUseRows, setEffect, type UseFilter, type UseRow } from './use.repo.js';
import type { UseEffect, UseKind } from './use.tables.js';

// The 利用登记簿 as people read it: a manager or archivist (use.stats) sees the uses of the archives in
// their scope; anyone else who borrows sees their own uses (to record what they achieved). Scope is a
// condition of every statement (the catalog's scope over the row's fonds, region and category): a row
// outside it is not found, exactly like one that does not exist. 档号 and titles are shown as the reader
// may see the item now (masked; a sensitive item without a grant withheld).

export interface UseEntry {
  /** The log event the use was read from. */
  seq: number;
  ordinal: number;
  kind: UseKind;
  kindName: string;
  usedAt: string;
  /** Who used it, as shown: the account, the outside organisation, or a private person (masked). */
  who: string;
  user: string | null;
  organisation: string | null;
  letterNo: string | null;
  department: string;
  purpose: string | null;
  loanNumber: string | null;
  archiveCode: string | null;
  title: string | null;
  fonds: string | null;
  categoryName: string | null;
  detail: string | null;
  effect: UseEffect | null;
  effectName: string | null;
  effectNote: string | null;
  effectBy: string | null;
  effectAt: string | null;
  /** Whether the reader may record this use's 利用效果. */
  mayRecordEffect: boolean;
}

export interface UseQuery {
  from?: string;
  to?: string;
  kind?: string;
  fonds?: string;
  category?: string;
  department?: string;
  user?: string;
  item?: string;
  loan?: string;
}

const bad = (message: string) => invalid('USE_QUERY_INVALID', message);

const HOUR = 3_600_000;
const DATE = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/;

/** The Beijing day (2026-03-01) or month (2026-03) a text names: its first instant and the first after it. */
function beijingSpan(text: string, name: string): [Date, Date] {
  const match = DATE.exec(text.trim());
  const [year, month] = [Number(match?.[1]), Number(match?.[2])];
  const day = match?.[3] === undefined ? undefined : Number(match[3]);
  // Beijing is UTC+8 all year. Date.UTC rolls 2026-02-30 over into March: a day that does not come
  // back as typed does not exist.
  const start = Date.UTC(year, month - 1, day ?? 1) - 8 * HOUR;
  const shown = new Date(start + 8 * HOUR);
  if (
    !match ||
    shown.getUTCFullYear() !== year ||
    shown.getUTCMonth() !== month - 1 ||
    shown.getUTCDate() !== (day ?? 1)
  )
    throw invalid('TIME_INVALID', `${name}“${text.slice(0, 20)}”不是有效的日期（如 2026-03-01 或 2026-03）`);
  const end = day === undefined ? Date.UTC(year, month, 1) - 8 * HOUR : start + 24 * HOUR;
  return [new Date(start), new Date(end)];
}

/** What the caller may see of the register, as a condition over the row `u`. */
export function visibleUses(access: AccessContext): RawBuilder<SqlBool> {
  if (access.kind === 'system') return sql<SqlBool>`true`;
  const inScope = scopeCondition(access.scope, 'u', null);
  if (holds(access, 'use.stats')) return inScope;
  access.authorize('loan.request');
  return sql<SqlBool>`(${inScope} and u.user_name = ${access.username})`;
}

/** The branch of a category (by code) among the scheme's rows. */
function branchOf(categories: readonly CategoryRow[], code: string): number[] {
  const root = categories.find((row) => row.code === code);
  if (!root) throw notFound('CATEGORY_NOT_FOUND', `类别“${code.slice(0, 20)}”不存在`);
  const ids = new Set([root.id]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const row of categories)
      if (row.parentId !== null && ids.has(row.parentId) && !ids.has(row.id)) {
        ids.add(row.id);
        grown = true;
      }
  }
  return [...ids];
}

/** The filter of a query, checked: bad input is a Chinese error, never a crash or an empty answer. */
export function useFilter(
  access: AccessContext,
  query: UseQuery,
  categories: readonly CategoryRow[],
): UseFilter {
  const filter: UseFilter = { visible: visibleUses(access) };
  if (query.from) filter.from = beijingSpan(query.from, '起始日期')[0];
  if (query.to) filter.to = beijingSpan(query.to, '截止日期')[1];
  if (filter.from && filter.to && filter.from >= filter.to) throw bad('起始日期晚于截止日期');
  if (query.kind) {
    if (!USE_KINDS.includes(query.kind as UseKind))
      throw bad(`利用方式应为 ${USE_KINDS.map((kind) => `${kind}（${USE_KIND_NAMES[kind]}）`).join('、')}`);
    filter.kind = query.kind as UseKind;
  }
  if (query.fonds) filter.fonds = query.fonds.trim().slice(0, 4);
  if (query.category) filter.categoryIds = branchOf(categories, query.category.trim());
  if (query.department) filter.department = query.department.trim().slice(0, 200);
  if (query.user) filter.user = query.user.trim().slice(0, 100);
  if (query.item) filter.item = query.item.trim().slice(0, 100);
  if (query.loan) filter.loan = query.loan.trim().slice(0, 40);
  return filter;
}

const who = (row: UseRow): string =>
  row.organisation
    ? `${row.organisation}${row.letter_no ? `（介绍信 ${row.letter_no}）` : ''}`
    : row.person
      ? (maskName(row.person) ?? '个人')
      : (row.user_name ?? row.actor);

const mayRecord = (access: AccessContext, row: UseRow): boolean =>
  holds(access, 'loan.handle') || (access.kind === 'principal' && row.user_name === access.username);

/** Rows as the reader may see them: titles through the catalog's gate and masking. */
export async function presentUses(
  db: Db,
  access: AccessContext,
  rows: readonly UseRow[],
  categories: readonly CategoryRow[],
): Promise<UseEntry[]> {
  const codes = [...new Set(rows.flatMap((row) => (row.item_code ? [row.item_code] : [])))];
  const found = await findItemsByCodes(db, codes, scopedQuery(access));
  const shown = await discloseItems(
    db,
    withDisclosure(access, { unmask: false }),
    await withholdUngranted(db, found, access),
  );
  const items = new Map(shown.map((item) => [item.archiveCode, item]));
  const categoryNames = new Map(categories.map((row) => [row.id, row.name]));
  return rows.map((row) => {
    const item = row.item_code ? items.get(row.item_code) : undefined;
    return {
      seq: Number(row.event_seq),
      ordinal: row.ordinal,
      kind: row.kind,
      kindName: USE_KIND_NAMES[row.kind],
      usedAt: beijingIso(row.used_at),
      who: who(row),
      user: row.user_name,
      organisation: row.organisation,
      letterNo: row.letter_no,
      department: row.department,
      purpose: row.purpose,
      loanNumber: row.loan_number,
      archiveCode: row.item_code,
      title: item ? item.title : null,
      fonds: row.fonds_code,
      categoryName: item?.withheld
        ? null
        : row.category_id === null
          ? null
          : (categoryNames.get(row.category_id) ?? null),
      detail: row.detail === null ? null : (QUERY_DETAIL_NAMES[row.detail] ?? row.detail),
      effect: row.effect,
      effectName: row.effect ? USE_EFFECT_NAMES[row.effect] : null,
      effectNote: row.effect_note,
      effectBy: row.effect_by,
      effectAt: row.effect_at ? beijingIso(row.effect_at) : null,
      mayRecordEffect: mayRecord(access, row),
    };
  });
}

const CURSOR = /^(\d{1,15})\.(\d{1,6})$/;

/** A page of the register, newest first. */
export async function listUses(
  db: Db,
  access: AccessContext,
  query: UseQuery & { before?: string; limit?: number },
): Promise<{ uses: UseEntry[]; nextBefore: string | null }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
  const categories = await listCategories(db);
  const filter = useFilter(access, query, categories);
  let before: { seq: number; ordinal: number } | undefined;
  if (query.before !== undefined) {
    const match = CURSOR.exec(query.before);
    if (!match) throw bad('翻页位置 before 应为上一页返回的 nextBefore（如 1234.0）');
    before = { seq: Number(match[1]), ordinal: Number(match[2]) };
  }
  const rows = await listUseRows(db, filter, { before, limit });
  const last = rows.at(-1);
  return {
    uses: await presentUses(db, access, rows, categories),
    nextBefore: rows.length === limit && last ? `${last.event_seq}.${last.ordinal}` : null,
  };
}

export interface EffectInput {
  seq: number;
  item?: string | null;
  effect: string;
  note?: string | null;
}

/** The effect's code from a code or its Chinese name (凭证作用 or voucher). */
export function effectCode(value: string): UseEffect {
  const text = value.trim();
  const code =
    USE_EFFECTS.find((effect) => effect === text) ??
    USE_EFFECTS.find((effect) => USE_EFFECT_NAMES[effect] === text);
  if (!code)
    throw invalid(
      'USE_EFFECT_INVALID',
      `利用效果“${text.slice(0, 20)}”无效，应为 ${USE_EFFECTS.map((effect) => USE_EFFECT_NAMES[effect]).join('、')}`,
    );
  return code;
}

/**
 * Records the 利用效果 of one use (its own event, use.effect_recorded). The row is updated in the same
 * transaction; the register's follower applies the same event when it reads it, to the same values.
 * Only the borrower or an archivist (loan.handle); a use outside the caller's scope is not found.
 */
export async function recordEffect(db: Db, access: AccessContext, input: EffectInput): Promise<UseEntry> {
  const effect = effectCode(input.effect);
  const note = input.note?.trim() ? input.note.trim() : null;
  if (note !== null && note.length > 500) throw invalid('USE_EFFECT_INVALID', '利用效果说明不能超过 500 字');
  const problem = idNumberInTextProblem('利用效果说明', note);
  if (problem) throw invalid('ID_NUMBER_IN_TEXT', problem);
  if (!Number.isSafeInteger(input.seq) || input.seq < 0) throw notFound('USE_NOT_FOUND', '利用登记不存在');
  const item = input.item?.trim() ? input.item.trim() : null;
  // A row the caller may not list is not found; among those listed, only the borrower or an archivist records.
  const visible = visibleUses(access);
  const row = await inTransaction(db, async (trx) => {
    const found = await findUse(trx, input.seq, item, visible);
    if (!found) throw notFound('USE_NOT_FOUND', `利用登记 ${input.seq}${item ? `（${item}）` : ''} 不存在`);
    if (!mayRecord(access, found))
      throw new YidangError('USE_EFFECT_FORBIDDEN', 'forbidden', '只有借阅人本人或档案员可以记录利用效果');
    const at = new Date();
    await setEffect(trx, { seq: input.seq, item: found.item_code, effect, note, by: actorIn(access), at });
    recordEvent(trx, {
      actor: actorIn(access),
      action: 'use.effect_recorded',
      subject: `use:${input.seq}`,
      payload: { item: found.item_code, effect, note },
    });
    return { ...found, effect, effect_note: note, effect_by: actorIn(access), effect_at: at };
  });
  const [entry] = await presentUses(db, access, [row], await listCategories(db));
  return entry as UseEntry;
}
