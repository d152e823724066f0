import { invalid } from '../../shared/errors.js';
import { isValidCalendarDate } from '../catalog/id-number.js';
import type { FacetCounts, FacetDimension, PageRow, SearchSort, SortKey } from './search.repo.js';

// Cursors and estimates of a search. A cursor holds the last row's sort key and whether the pages
// are ranked within the newest matches only, so every page of one search uses the same plan.

export type { SearchSort };

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

/** No matches counted (the floor under a sample's estimates when nothing was collected). */
export const noCounts = (): FacetCounts => ({
  total: 0,
  facets: { category: new Map(), year: new Map(), region: new Map(), carrier: new Map() },
});
