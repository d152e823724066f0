import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { recordEvent } from '../integrity/event-log.js';
import { findFonds, listCategories, listRetentionOverrides } from './catalog.repo.js';
import {
  countDueBetween,
  dueItemRows,
  type ExpiryEntryRow,
  type ExpiryFilter,
  expirySummaryRows,
  fondsRetentionGroups,
  replaceExpiryEntries,
  storedExpiryEntries,
} from './expiry.repo.js';
import { discloseItems } from './item.disclose.js';
import { findItemsByCodes, findItemsByIds } from './item.repo.js';
import { scopedQuery } from './item.scope.js';
import {
  isRetentionPeriod,
  RETENTION_PERIODS,
  type RetentionPeriod,
  resolveRetention,
  retentionExpiry,
  retentionYears,
} from './retention.js';

// 到期档案清单: when each item falls due, from the retention schedule as it stands now. The periods
// are minimums, so the effective one is the longer of the item's own and its category's current
// period in its region (the pooling region, else the fonds's); permanent never falls due.

/** Longer first: Y, D100, …, D10. */
const rank = (period: string) => {
  const index = (RETENTION_PERIODS as readonly string[]).indexOf(period);
  return index < 0 ? RETENTION_PERIODS.length : index;
};

export const longerRetention = (a: RetentionPeriod, b: RetentionPeriod): RetentionPeriod =>
  rank(a) <= rank(b) ? a : b;

/** Whether `next` is a longer period than `current` (an extension, never a shortening). */
export const extendsRetention = (current: string, next: string) => rank(next) < rank(current);

export interface ExpiryRefresh {
  fonds: string;
  entries: number;
  items: number;
  changed: boolean;
}

const entryKey = (entry: ExpiryEntryRow) =>
  [
    entry.year,
    entry.categoryId,
    entry.retention,
    entry.regionKey,
    entry.effectiveRetention,
    entry.expiresOn,
    entry.items,
  ].join('|');

/**
 * Recomputes the fonds's expiry summary from its items and the schedule as it stands; written (and
 * `expiry.refreshed` logged) only when it differs from what is stored.
 */
export async function refreshExpiry(
  db: Db,
  access: AccessContext,
  fondsCode: string,
  actor: string,
  now = new Date(),
): Promise<ExpiryRefresh> {
  return inTransaction(db, async (trx) => {
    const fonds = await findFonds(trx, fondsCode);
    if (!fonds) return { fonds: fondsCode, entries: 0, items: 0, changed: false };
    const [categories, rules, groups, stored] = await Promise.all([
      listCategories(trx),
      listRetentionOverrides(trx),
      fondsRetentionGroups(trx, scopedQuery(access), fondsCode),
      storedExpiryEntries(trx, fondsCode),
    ]);
    const defaults = new Map(categories.map((category) => [category.id, category.defaultRetention]));
    const entries: ExpiryEntryRow[] = groups.map((group) => {
      const own = isRetentionPeriod(group.retention) ? group.retention : 'Y';
      const schedule = resolveRetention(
        defaults.get(group.categoryId) ?? own,
        group.categoryId,
        group.regionKey || fonds.regionCode,
        rules,
      );
      const effective = longerRetention(own, schedule);
      return {
        ...group,
        fondsCode,
        effectiveRetention: effective,
        expiresOn: retentionExpiry(effective, group.year),
      };
    });
    const items = entries.reduce((sum, entry) => sum + entry.items, 0);
    const before = new Set(stored.map(entryKey));
    const changed = stored.length !== entries.length || entries.some((entry) => !before.has(entryKey(entry)));
    if (changed) {
      await replaceExpiryEntries(trx, fondsCode, entries, now);
      recordEvent(trx, {
        actor,
        action: 'expiry.refreshed',
        subject: `expiry:${fondsCode}`,
        payload: { fonds: fondsCode, entries: entries.length, items },
      });
    }
    return { fonds: fondsCode, entries: entries.length, items, changed };
  });
}

/** Whole years between 1 January after the record's year and `today` (已保管). */
export function yearsKept(year: number, today: string): number {
  return Math.max(0, Number(today.slice(0, 4)) - (year + 1));
}

export interface ExpirySummaryEntry {
  year: number;
  category: string;
  categoryName: string;
  retention: string;
  /** 应保管 years; null for permanent. */
  yearsToKeep: number | null;
  /** 已保管 years as of today. */
  yearsKept: number;
  expiresOn: string | null;
  due: boolean;
  items: number;
}

export interface ExpiryListFilter {
  fonds: string;
  year?: number;
  /** A category code: the category and its branch below it. */
  category?: string;
  /** Only what is due by this date (YYYY-MM-DD). */
  dueBy?: string;
}

/** The ids of a category (by code) and every category below it; empty for an unknown code. */
export async function categoryBranchIds(db: Db, code: string): Promise<number[]> {
  const categories = await listCategories(db);
  const root = categories.find((category) => category.code === code);
  const ids = new Set<number>(root ? [root.id] : []);
  for (let grown = true; grown; ) {
    grown = false;
    for (const category of categories)
      if (category.parentId !== null && ids.has(category.parentId) && !ids.has(category.id)) {
        ids.add(category.id);
        grown = true;
      }
  }
  return [...ids];
}

async function toFilter(db: Db, filter: ExpiryListFilter): Promise<ExpiryFilter> {
  const result: ExpiryFilter = { fondsCode: filter.fonds };
  if (filter.year !== undefined) result.year = filter.year;
  if (filter.dueBy !== undefined) result.dueBy = filter.dueBy;
  if (filter.category !== undefined) result.categoryIds = await categoryBranchIds(db, filter.category);
  return result;
}

/** The expiry list's summary of a fonds within the caller's scope, by due date, year and category. */
export async function expirySummary(
  db: Db,
  access: AccessContext,
  filter: ExpiryListFilter,
  now = new Date(),
): Promise<{ entries: ExpirySummaryEntry[]; refreshedAt: string | null }> {
  const today = beijingDate(now);
  const [rows, categories] = await Promise.all([
    expirySummaryRows(db, scopedQuery(access), await toFilter(db, filter)),
    listCategories(db),
  ]);
  const byId = new Map(categories.map((category) => [category.id, category]));
  const refreshed = rows.reduce<Date | null>(
    (oldest, row) => (oldest === null || row.refreshedAt < oldest ? row.refreshedAt : oldest),
    null,
  );
  return {
    refreshedAt: refreshed?.toISOString() ?? null,
    entries: rows.map((row) => ({
      year: row.year,
      category: byId.get(row.categoryId)?.code ?? String(row.categoryId),
      categoryName: byId.get(row.categoryId)?.name ?? '',
      retention: row.effectiveRetention,
      yearsToKeep: isRetentionPeriod(row.effectiveRetention) ? retentionYears(row.effectiveRetention) : null,
      yearsKept: yearsKept(row.year, today),
      expiresOn: row.expiresOn,
      due: row.expiresOn !== null && row.expiresOn <= today,
      items: row.items,
    })),
  };
}

export interface DueItem {
  id: number;
  archiveCode: string;
  title: string;
  year: number;
  category: string;
  categoryName: string;
  categoryId: number;
  /** The item's own period, and the effective one it falls due by. */
  retention: string;
  effectiveRetention: string;
  yearsToKeep: number | null;
  yearsKept: number;
  expiresOn: string;
  carrier: string;
  version: number;
  /** The 销毁清册 that destroyed the item (only its tombstone is left), or null. */
  destroyed: string | null;
}

/** The items of the fonds due by `dueBy` (default today) within the scope, a page by 档号, masked. */
export async function dueItems(
  db: Db,
  access: AccessContext,
  filter: ExpiryListFilter,
  page: { limit: number; offset: number } = { limit: 50, offset: 0 },
  now = new Date(),
): Promise<DueItem[]> {
  const today = beijingDate(now);
  const dueBy = filter.dueBy && filter.dueBy < today ? filter.dueBy : today;
  const scope = scopedQuery(access);
  const rows = await dueItemRows(db, scope, { ...(await toFilter(db, filter)), dueBy }, page);
  if (rows.length === 0) return [];
  const found = new Map(
    (
      await findItemsByIds(
        db,
        rows.map((row) => row.id),
        scope,
      )
    ).map((item) => [item.id, item]),
  );
  const items = await discloseItems(
    db,
    access,
    rows.flatMap((row) => found.get(row.id) ?? []),
  );
  const shown = new Map(items.map((item) => [item.id, item]));
  return rows.flatMap((row) => {
    const item = shown.get(row.id);
    if (!item) return [];
    return [
      {
        id: item.id,
        archiveCode: item.archiveCode,
        title: item.withheld ? '' : item.title,
        year: item.year,
        category: item.category,
        categoryName: item.categoryName,
        categoryId: row.categoryId,
        retention: item.retention,
        effectiveRetention: row.effectiveRetention,
        yearsToKeep: isRetentionPeriod(row.effectiveRetention)
          ? retentionYears(row.effectiveRetention)
          : null,
        yearsKept: yearsKept(item.year, today),
        expiresOn: row.expiresOn,
        carrier: item.carrier,
        version: item.version,
        destroyed: item.destroyed?.register ?? null,
      },
    ];
  });
}

/** How many items within the scope fall due in the next 12 months from today (the dashboard card). */
export async function dueWithinYear(db: Db, access: AccessContext, now = new Date()): Promise<number> {
  const today = beijingDate(now);
  // A year on from 29 February is 1 March.
  const monthDay = today.slice(4) === '-02-29' ? '-03-01' : today.slice(4);
  const next = `${String(Number(today.slice(0, 4)) + 1).padStart(4, '0')}${monthDay}`;
  return countDueBetween(db, scopedQuery(access), today, next);
}

/** What appraisal needs of an item to put it in a round: no content, only its keys and due date. */
export interface ItemDue {
  itemId: number;
  archiveCode: string;
  fonds: string;
  categoryId: number;
  year: number;
  version: number;
  retention: string;
  effectiveRetention: string;
  /** Null for permanent. */
  expiresOn: string | null;
  due: boolean;
  /** The 销毁清册 that destroyed the item (a tombstone), or null. */
  destroyed: string | null;
}

/**
 * The due state of the items named by 档号 within the scope, computed from the schedule as it stands
 * now (not the summary, which may be a refresh behind); an item outside the scope is left out.
 */
export async function itemsDueState(
  db: Db,
  access: AccessContext,
  archiveCodes: readonly string[],
  now = new Date(),
): Promise<Map<string, ItemDue>> {
  const today = beijingDate(now);
  const [items, categories, rules] = await Promise.all([
    findItemsByCodes(db, archiveCodes, scopedQuery(access)),
    listCategories(db),
    listRetentionOverrides(db),
  ]);
  const byCode = new Map(categories.map((category) => [category.code, category]));
  const regions = new Map<string, string>();
  const result = new Map<string, ItemDue>();
  for (const item of items) {
    if (!regions.has(item.fonds))
      regions.set(item.fonds, (await findFonds(db, item.fonds))?.regionCode ?? '');
    const category = byCode.get(item.category);
    const own = isRetentionPeriod(item.retention) ? item.retention : 'Y';
    const schedule = category
      ? resolveRetention(
          category.defaultRetention,
          category.id,
          item.poolingRegion ?? regions.get(item.fonds) ?? null,
          rules,
        )
      : own;
    const effective = longerRetention(own, schedule);
    const expiresOn = retentionExpiry(effective, item.year);
    result.set(item.archiveCode, {
      itemId: item.id,
      archiveCode: item.archiveCode,
      fonds: item.fonds,
      categoryId: category?.id ?? 0,
      year: item.year,
      version: item.version,
      retention: item.retention,
      effectiveRetention: effective,
      expiresOn,
      due: expiresOn !== null && expiresOn <= today,
      destroyed: item.destroyed?.register ?? null,
    });
  }
  return result;
}

/** The keys of the items due today of a selection of the expiry list (a whole fonds, a year, a category), by 档号. */
export async function dueItemKeys(
  db: Db,
  access: AccessContext,
  filter: ExpiryListFilter,
  limit: number,
  now = new Date(),
): Promise<ItemDue[]> {
  const today = beijingDate(now);
  const rows = await dueItemRows(
    db,
    scopedQuery(access),
    { ...(await toFilter(db, filter)), dueBy: today },
    {
      limit,
      offset: 0,
    },
  );
  return rows.map((row) => ({
    itemId: row.id,
    archiveCode: row.archiveCode,
    fonds: filter.fonds,
    categoryId: row.categoryId,
    year: row.year,
    version: row.version,
    retention: row.retention,
    effectiveRetention: row.effectiveRetention,
    expiresOn: row.expiresOn,
    due: true,
    destroyed: row.destroyedRegister,
  }));
}

/** The dashboard card: items within the scope due in the next 12 months, and those due already. */
export async function dueCounts(
  db: Db,
  access: AccessContext,
  now = new Date(),
): Promise<{ next12Months: number; alreadyDue: number }> {
  const today = beijingDate(now);
  const [next12Months, alreadyDue] = await Promise.all([
    dueWithinYear(db, access, now),
    countDueBetween(
      db,
      scopedQuery(access),
      '0001-01-01',
      new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10),
    ),
  ]);
  return { next12Months, alreadyDue };
}
