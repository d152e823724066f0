import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { type ScopedQuery, scopeOver, withinScope } from './item.scope.js';

// The only SQL of the expiry list (到期档案): the fonds's items counted by year, category, own period
// and region (what the effective period depends on), the summary rows those counts become, and the
// items due as of a date, joined through the summary.

export interface RetentionGroup {
  year: number;
  categoryId: number;
  retention: string;
  regionKey: string;
  items: number;
}

/** Every item of the fonds counted by what decides its due date; counts only, no row. */
export async function fondsRetentionGroups(
  db: Db,
  scope: ScopedQuery,
  fondsCode: string,
): Promise<RetentionGroup[]> {
  const { rows } = await sql<RetentionGroup>`
    select i.year, i.category_id as "categoryId", i.retention, coalesce(i.pooling_region, '') as "regionKey",
      count(*)::integer as items
    from archive_item i where i.fonds_code = ${fondsCode} and ${withinScope(scope)}
    group by 1, 2, 3, 4`.execute(db);
  return rows;
}

export interface ExpiryEntryRow extends RetentionGroup {
  fondsCode: string;
  effectiveRetention: string;
  expiresOn: string | null;
}

/** The fonds's summary rows as stored, for comparing a refresh with what is there. */
export async function storedExpiryEntries(db: Db, fondsCode: string): Promise<ExpiryEntryRow[]> {
  const rows = await db
    .selectFrom('expiry_entry')
    .select([
      'fonds_code as fondsCode',
      'year',
      'category_id as categoryId',
      'item_retention as retention',
      'region_key as regionKey',
      'effective_retention as effectiveRetention',
      sql<string | null>`to_char(expires_on, 'YYYY-MM-DD')`.as('expiresOn'),
      'items',
    ])
    .where('fonds_code', '=', fondsCode)
    .execute();
  return rows;
}

export async function replaceExpiryEntries(
  trx: Db,
  fondsCode: string,
  entries: readonly ExpiryEntryRow[],
  now: Date,
): Promise<void> {
  await trx.deleteFrom('expiry_entry').where('fonds_code', '=', fondsCode).execute();
  for (let start = 0; start < entries.length; start += 1000) {
    await trx
      .insertInto('expiry_entry')
      .values(
        entries.slice(start, start + 1000).map((entry) => ({
          fonds_code: fondsCode,
          year: entry.year,
          category_id: entry.categoryId,
          item_retention: entry.retention,
          region_key: entry.regionKey,
          effective_retention: entry.effectiveRetention,
          expires_on: entry.expiresOn,
          items: entry.items,
          refreshed_at: now,
        })),
      )
      .execute();
  }
}

export interface ExpiryFilter {
  fondsCode: string;
  year?: number;
  categoryIds?: readonly number[];
  /** Due on or before this date (YYYY-MM-DD); without it, every row (permanent ones included). */
  dueBy?: string;
}

// The summary rows as a table with the three columns a scope is stated over (fonds, region, category).
const ENTRIES = sql`(select fonds_code, year, category_id, item_retention, region_key, effective_retention,
  expires_on, items, refreshed_at, nullif(region_key, '') as pooling_region from expiry_entry)`;

function entryConditions(scope: ScopedQuery, filter: ExpiryFilter) {
  const parts = [sql`e.fonds_code = ${filter.fondsCode}`, scopeOver(scope, 'e', null)];
  if (filter.year !== undefined) parts.push(sql`e.year = ${filter.year}`);
  if (filter.categoryIds) parts.push(sql`e.category_id = any(${filter.categoryIds as number[]}::integer[])`);
  if (filter.dueBy) parts.push(sql`e.expires_on <= ${filter.dueBy}::date`);
  return sql.join(parts, sql` and `);
}

export interface ExpirySummaryRow {
  year: number;
  categoryId: number;
  effectiveRetention: string;
  expiresOn: string | null;
  items: number;
  refreshedAt: Date;
}

/** The summary by year, category and effective period (regions and own periods added up). */
export async function expirySummaryRows(
  db: Db,
  scope: ScopedQuery,
  filter: ExpiryFilter,
): Promise<ExpirySummaryRow[]> {
  const { rows } = await sql<ExpirySummaryRow>`
    select e.year, e.category_id as "categoryId", e.effective_retention as "effectiveRetention",
      to_char(e.expires_on, 'YYYY-MM-DD') as "expiresOn", sum(e.items)::integer as items,
      min(e.refreshed_at) as "refreshedAt"
    from ${ENTRIES} e where ${entryConditions(scope, filter)}
    group by 1, 2, 3, 4 order by 4 nulls last, 1, 2, 3`.execute(db);
  return rows;
}

/** How many items of the scope fall due in [from, to) by the summary (the dashboard's count). */
export async function countDueBetween(db: Db, scope: ScopedQuery, from: string, to: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select coalesce(sum(e.items), 0)::integer as n from ${ENTRIES} e
    where ${scopeOver(scope, 'e', null)} and e.expires_on >= ${from}::date and e.expires_on < ${to}::date`.execute(
    db,
  );
  return rows[0]?.n ?? 0;
}

export interface DueItemRow {
  id: number;
  archiveCode: string;
  version: number;
  retention: string;
  categoryId: number;
  year: number;
  effectiveRetention: string;
  expiresOn: string;
  /** The register that destroyed the item (a tombstone), or null. */
  destroyedRegister: string | null;
}

/**
 * The ids of the items due by `filter.dueBy` within the scope, with their effective period and due
 * date, ordered by due date, year, category and then 档号. Read group by group of the summary (each
 * through the items' (category, year) index), whole groups before the offset skipped by their
 * counts: a page costs its groups, not the fonds. An item whose period changed since the last
 * refresh is left out until the next one finds it again at its new due date.
 */
export async function dueItemRows(
  db: Db,
  scope: ScopedQuery,
  filter: ExpiryFilter & { dueBy: string },
  page: { limit: number; offset: number },
): Promise<DueItemRow[]> {
  const { rows: groups } = await sql<{
    year: number;
    categoryId: number;
    retention: string;
    regionKey: string;
    effectiveRetention: string;
    expiresOn: string;
    items: number;
  }>`
    select e.year, e.category_id as "categoryId", e.item_retention as retention, e.region_key as "regionKey",
      e.effective_retention as "effectiveRetention", to_char(e.expires_on, 'YYYY-MM-DD') as "expiresOn", e.items
    from ${ENTRIES} e where ${entryConditions(scope, filter)}
    order by e.expires_on, e.year, e.category_id, e.item_retention, e.region_key`.execute(db);
  const found: DueItemRow[] = [];
  let skip = page.offset;
  for (const group of groups) {
    if (found.length >= page.limit) break;
    // The summary's count may be a refresh behind: a group is skipped whole only when surely before the page.
    if (skip >= group.items) {
      skip -= group.items;
      continue;
    }
    const { rows } = await sql<DueItemRow>`
      select i.id, i.archive_code as "archiveCode", i.version, i.retention, i.category_id as "categoryId", i.year,
        i.destroyed_register as "destroyedRegister", ${group.effectiveRetention}::text as "effectiveRetention", ${group.expiresOn}::text as "expiresOn"
      from archive_item i
      where i.category_id = ${group.categoryId} and i.year = ${group.year} and i.fonds_code = ${filter.fondsCode}
        and i.retention = ${group.retention} and coalesce(i.pooling_region, '') = ${group.regionKey}
        and ${withinScope(scope)}
      order by i.archive_code limit ${page.limit - found.length} offset ${skip}`.execute(db);
    skip = 0;
    found.push(...rows);
  }
  return found;
}
