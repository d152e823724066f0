import { describe, expect, it } from 'vitest';
import { ALL_ITEMS } from '../../../test/helpers/fixture-access.js';
import { db, letterOf, useSearchArchive } from '../../../test/helpers/search-archive.js';
import {
  type PageRow,
  pageByDate,
  pageByRelevance,
  type SearchSpec,
  type SortKey,
  sampleMatches,
} from './search.repo.js';

// The two ways to a page must agree: walking the (年度, 日期) index — year by year when a date range
// is given — and collecting the matches through the word index. Items A–L of the shared archive, by
// date: J 2024-07-07, E 05-20, A 03-15, G 01-10, B 2023-06-10, F 02-02, L 2022-12-12, C 09-01,
// H 04-01, D 2021-11-20, K 03-03, I 2020-08-08.

useSearchArchive();

const spec = (more: Partial<SearchSpec>): SearchSpec => ({
  indexQuery: null,
  exact: null,
  scope: ALL_ITEMS,
  ...more,
});

async function letters(rows: readonly PageRow[]): Promise<string> {
  if (rows.length === 0) return '';
  const codes = await db()
    .selectFrom('archive_item')
    .select(['id', 'archive_code'])
    .where(
      'id',
      'in',
      rows.map((row) => row.itemId),
    )
    .execute();
  const byId = new Map(codes.map((row) => [Number(row.id), letterOf.get(row.archive_code)]));
  return rows.map((row) => byId.get(row.itemId) ?? '?').join('');
}

const bothWays = async (searchSpec: SearchSpec, limit: number, after?: SortKey) => {
  const walked = await letters(await pageByDate(db(), searchSpec, limit, true, after));
  const collected = await letters(await pageByDate(db(), searchSpec, limit, false, after));
  expect(walked).toBe(collected);
  return walked;
};

describe('pages by date', () => {
  it.each([
    [{ dateFrom: '2021-11-01', dateTo: '2023-06-30' }, 'BFLCHD'],
    [{ dateFrom: '2021-11-01', dateTo: '2023-06-30', indexQuery: "'报销'" }, 'BLCD'],
    [{ dateFrom: '2021-01-01', yearFrom: 2022, yearTo: 2023 }, 'BFLCH'],
    [{ dateTo: '2021-12-31' }, 'DKI'],
    [{ dateFrom: '2025-01-01' }, ''],
    [{ dateFrom: '2019-01-01', dateTo: '2019-12-31' }, ''],
    [{ dateFrom: '2022-04-01', dateTo: '2022-04-01' }, 'H'],
  ] as Array<[Partial<SearchSpec>, string]>)('%o gives %s either way', async (more, expected) => {
    expect(await bothWays(spec(more), 20)).toBe(expected);
  });

  it('continues after a cursor across years, a date range walked year by year', async () => {
    const range = spec({ dateFrom: '2021-01-01', dateTo: '2023-12-31' });
    const first = await pageByDate(db(), range, 3, true);
    expect(await letters(first)).toBe('BFL');
    const last = first.at(-1) as PageRow;
    expect(await bothWays(range, 3, { year: last.year, date: last.date, itemId: last.itemId })).toBe('CHD');
  });

  it('ranks only the newest matches within a date range when asked to', async () => {
    const range = spec({ dateFrom: '2021-11-01', dateTo: '2023-06-30' });
    const ranked = await pageByRelevance(db(), range, { rankQuery: null, exactNames: [], window: 3 }, 10);
    expect(await letters(ranked)).toBe('BFL');
  });
});

describe('sampling the index', () => {
  // A 100 % sample is the whole table, so its counts are exact and checkable by hand.
  it('counts the matches, and with date bounds the rows within them in the same read', async () => {
    const bounded = spec({ indexQuery: "'报销'", dateFrom: '2021-11-01', dateTo: '2023-06-30' });
    const sampled = await sampleMatches(db(), bounded, 100, 1);
    expect(sampled.counts.total).toBe(4); // B L C D
    expect(sampled.inRange).toBe(6); // B F L C H D, matching or not
    expect(Object.fromEntries(sampled.counts.facets.year)).toEqual({ 2023: 1, 2022: 2, 2021: 1 });
    const unbounded = await sampleMatches(db(), spec({ indexQuery: "'报销'" }), 100, 1);
    expect(unbounded).toMatchObject({ inRange: null, counts: { total: 7 } });
  });
});
