import { invalid } from '../../shared/errors.js';
import { isValidCalendarDate } from '../catalog/id-number.js';
import type { FacetCounts, FacetDimension, MatchRow, PageRow, SortKey } from './search.repo.js';

// Cursors and estimates of a search. A cursor holds the last row's sort key and whether the pages
// are ranked within the newest matches only, so every page of one search uses the same plan.

export type SearchSort = 'relevance' | 'date';

export interface Cursor {
  key: SortKey;
  /** Relevance ranked within the newest matches (the first page's plan). */
  windowed: boolean;
}

export function decodeCursor(cursor: string, sort: SearchSort): Cursor {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 6 && key[0] === sort) {
      const [, windowed, score, year, date, itemId] = key as unknown[];
      const day = typeof date === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date) : null;
      if (
        typeof windowed === 'boolean' &&
        (score === null || Number.isSafeInteger(score)) &&
        Number.isInteger(year) &&
        (year as number) >= 1900 &&
        (year as number) <= 2200 &&
        day &&
        isValidCalendarDate(Number(day[1]), Number(day[2]), Number(day[3])) &&
        Number.isSafeInteger(itemId) &&
        (itemId as number) >= 0
      )
        return {
          key: {
            score: (score as number | null) ?? undefined,
            year: year as number,
            date: date as string,
            itemId: itemId as number,
          },
          windowed,
        };
    }
  } catch {
    // Fall through to the error below.
  }
  throw invalid('CURSOR_INVALID', '翻页标记无效或与排序方式不符，请重新检索');
}

export const encodeCursor = (sort: SearchSort, windowed: boolean, row: PageRow) =>
  Buffer.from(JSON.stringify([sort, windowed, row.score, row.year, row.date, row.itemId])).toString(
    'base64url',
  );

/** Sampled counts scaled up, rounded to two significant digits, never below the exact lower bounds. */
export function scaled(counts: FacetCounts, factor: number, floor: FacetCounts): FacetCounts {
  const round = (value: number) => {
    if (value < 100) return Math.round(value);
    const magnitude = 10 ** (Math.floor(Math.log10(value)) - 1);
    return Math.round(value / magnitude) * magnitude;
  };
  const facets = {} as FacetCounts['facets'];
  for (const dimension of Object.keys(counts.facets) as FacetDimension[]) {
    const merged = new Map(floor.facets[dimension]);
    for (const [value, count] of counts.facets[dimension])
      merged.set(value, Math.max(round(count * factor), merged.get(value) ?? 0));
    facets[dimension] = merged;
  }
  return { total: Math.max(round(counts.total * factor), floor.total), facets };
}

/** Facet counts of matches collected whole. */
export function countsOf(rows: readonly MatchRow[]): FacetCounts {
  const counts: FacetCounts = {
    total: rows.length,
    facets: { category: new Map(), year: new Map(), region: new Map(), carrier: new Map() },
  };
  const add = (map: Map<string, number>, value: string | number | null) => {
    if (value !== null) map.set(String(value), (map.get(String(value)) ?? 0) + 1);
  };
  for (const row of rows) {
    add(counts.facets.category, row.categoryId);
    add(counts.facets.year, row.year);
    add(counts.facets.region, row.region);
    add(counts.facets.carrier, row.carrier);
  }
  return counts;
}

/** Negative when a comes first: score (relevance), then 年度, 日期 and id, all descending. */
function compareKeys(a: SortKey, b: SortKey, sort: SearchSort): number {
  if (sort === 'relevance' && (a.score ?? 0) !== (b.score ?? 0)) return (b.score ?? 0) - (a.score ?? 0);
  if (a.year !== b.year) return b.year - a.year;
  if (a.date !== b.date) return a.date < b.date ? 1 : -1;
  return b.itemId - a.itemId;
}

/** The page after the cursor from matches collected whole, in the order the database would give. */
export function pageOf(
  rows: readonly MatchRow[],
  sort: SearchSort,
  limit: number,
  after?: SortKey,
): MatchRow[] {
  const key = (row: MatchRow): SortKey => ({
    score: row.score ?? undefined,
    year: row.year,
    date: row.date,
    itemId: row.itemId,
  });
  return [...rows]
    .filter((row) => after === undefined || compareKeys(key(row), after, sort) > 0)
    .sort((a, b) => compareKeys(key(a), key(b), sort))
    .slice(0, limit);
}
