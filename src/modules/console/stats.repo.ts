import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { itemFactsWithin } from '../catalog/item.queries.js';
import type { ScopedQuery } from '../catalog/item.scope.js';
import { hasScannedPages } from '../scan/scan.queries.js';

// The only SQL of the dashboard's archive counts: a read-only report over the catalog's items and
// the scans of them, composed of their owners' fragments into one query. The caller's scope is in
// the items' fragment, so nothing outside it is counted.

export interface Breakdown {
  byCategoryId: Map<number, number>;
  byYear: Map<number, number>;
  byCarrier: Map<string, number>;
  /** Paper-carrier items with at least one scanned page. */
  digitized: number;
}

// grouping() sets a bit for each column left out of the set: category_id 8, year 4, carrier 2,
// scanned 1.
const BY_CATEGORY = 7;
const BY_YEAR = 11;
const BY_CARRIER = 12;

/**
 * Counts by category, by year and by carrier (split by whether a paper item has scans) in one pass
 * over the items in scope: one grouping set per breakdown, hashed together over a single scan. The
 * scans are looked up for paper items only, through scan_page's key (or a hash of it).
 */
export async function itemBreakdown(db: Db, scope: ScopedQuery): Promise<Breakdown> {
  const result = await sql<{
    category_id: number | null;
    year: number | null;
    carrier: string | null;
    scanned: boolean | null;
    count: number;
    grouping: number;
  }>`
    select category_id, year, carrier, scanned, count(*)::int as count,
      grouping(category_id, year, carrier, scanned)::int as grouping
    from (
      select i.category_id, i.year, i.carrier,
        case when i.carrier = 'paper' then ${hasScannedPages(sql`i.id`)} end as scanned
      from ${itemFactsWithin(scope)} i
    ) m
    group by grouping sets ((category_id), (year), (carrier, scanned))`.execute(db);
  const breakdown: Breakdown = {
    byCategoryId: new Map(),
    byYear: new Map(),
    byCarrier: new Map(),
    digitized: 0,
  };
  for (const row of result.rows) {
    const count = Number(row.count);
    if (row.grouping === BY_CATEGORY) breakdown.byCategoryId.set(Number(row.category_id), count);
    else if (row.grouping === BY_YEAR) breakdown.byYear.set(Number(row.year), count);
    else if (row.grouping === BY_CARRIER) {
      const carrier = String(row.carrier);
      breakdown.byCarrier.set(carrier, (breakdown.byCarrier.get(carrier) ?? 0) + count);
      if (row.scanned === true) breakdown.digitized += count;
    }
  }
  return breakdown;
}
