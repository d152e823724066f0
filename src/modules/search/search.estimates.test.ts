import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { ALL_ITEMS, SYSTEM } from '../../../test/helpers/fixture-access.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { generateItemBatch } from '../demo/items.js';
import { catchUpIndex } from './indexer.js';
import { compileQuery } from './query.js';
import { forgetTermStats, narrowWordIndex } from './search.plan.js';
import { search } from './search.service.js';

// Past 10,000 indexed items a common query is counted from a sample of the index and its page found
// by walking the date index. The estimates must be close and marked, and the pages exactly what a
// full sort of the true matches gives.

let database: TestDatabase;
const db = () => database.db;
const ITEMS = 14_000;

/** The true matches of a title word (within a date range), newest first, straight from the catalog. */
async function truth(
  word: string,
  dates?: { from: string; to: string },
): Promise<Array<{ id: number; year: number }>> {
  const range = dates ? sql`and doc_date between ${dates.from}::date and ${dates.to}::date` : sql``;
  const result = await sql<{ id: number; year: number }>`
    select id, year from archive_item where title like ${`%${word}%`} ${range}
    order by year desc, doc_date desc, id desc`.execute(db());
  return result.rows.map((row) => ({ id: Number(row.id), year: row.year }));
}

/** Whether a cursor says its pages come from walking the date index (the plan of the first page). */
const walked = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))[1];

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), { code: 'E001', name: '估算测试局', regionCode: '320115' }, 'test');
  for (let start = 0; start < ITEMS; start += 2000)
    await fileItems(db(), generateItemBatch('estimates', 'E001', '320115', start, 2000), 'test', {
      access: SYSTEM,
    });
  await catchUpIndex(db());
}, 300_000);
afterAll(() => database?.close());

describe('searching many items', () => {
  it('estimates a common word from a sample, within a fifth, and says so', async () => {
    const expected = await truth('审核表');
    expect(expected.length).toBeGreaterThan(3000);
    const result = await search(db(), { q: '题名:审核表', sort: 'date', limit: 20 }, { access: SYSTEM });
    expect(result.exact).toBe(false);
    expect(Math.abs(result.total - expected.length) / expected.length).toBeLessThan(0.2);
    const years = new Map<number, number>();
    for (const row of expected) years.set(row.year, (years.get(row.year) ?? 0) + 1);
    const newest = Math.max(...years.keys());
    const estimated = result.facets.year.find((facet) => facet.value === String(newest))?.count ?? 0;
    expect(Math.abs(estimated - (years.get(newest) ?? 0)) / (years.get(newest) ?? 1)).toBeLessThan(0.35);
  });

  it('pages a common word by date exactly as a full sort of the true matches does', async () => {
    const expected = (await truth('审核表')).map((row) => row.id);
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const result = await search(
        db(),
        { q: '题名:审核表', sort: 'date', limit: 25, cursor },
        { access: SYSTEM },
      );
      seen.push(...result.hits.map((hit) => hit.item.id));
      cursor = result.nextCursor ?? undefined;
      expect(cursor).toBeDefined();
    }
    expect(seen).toEqual(expected.slice(0, 75));
  });

  it('walks a common word within a date range year by year, exactly as a full sort of the true matches', async () => {
    const newest = (await truth('审核表'))[0] as { year: number };
    // Many matches (so they are walked, not collected), but none in the newest year and a half.
    const dates = { from: '2000-01-01', to: `${newest.year - 1}-06-30` };
    const expected = (await truth('审核表', dates)).map((row) => row.id);
    expect(expected.length).toBeGreaterThan(3000);
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const result = await search(
        db(),
        {
          q: '题名:审核表',
          sort: 'date',
          limit: 20,
          cursor,
          dateFrom: dates.from,
          dateTo: dates.to,
        },
        { access: SYSTEM },
      );
      expect(result.exact).toBe(false);
      seen.push(...result.hits.map((hit) => hit.item.id));
      cursor = result.nextCursor ?? undefined;
      expect(cursor && walked(cursor)).toBe(true);
    }
    expect(seen).toEqual(expected.slice(0, 60));
  });

  it('ranks the newest matches within a date range by relevance, none outside it', async () => {
    const newest = (await truth('审核表'))[0] as { year: number };
    const dates = { from: '2000-01-01', to: `${newest.year - 1}-06-30` };
    const expected = new Set((await truth('审核表', dates)).map((row) => row.id));
    const result = await search(
      db(),
      { q: '审核表', limit: 30, dateFrom: dates.from, dateTo: dates.to },
      { access: SYSTEM },
    );
    expect(result.notices.some((notice) => notice.includes('相关度排序只在最新的'))).toBe(true);
    expect(result.hits).toHaveLength(30);
    for (const hit of result.hits) expect(expected.has(hit.item.id)).toBe(true);
  });

  it('counts a rare word exactly even in a large index', async () => {
    const some = (await truth('审核表'))[0] as { id: number };
    const item = await db()
      .selectFrom('archive_item')
      .select(['archive_code', 'insured_number'])
      .where('id', '=', some.id)
      .executeTakeFirstOrThrow();
    const result = await search(db(), { q: item.archive_code }, { access: SYSTEM });
    expect(result).toMatchObject({ exact: true, total: 1 });
    expect(result.hits[0]?.item.id).toBe(some.id);
  });

  it('ranks within the newest matches of a common word by relevance, with a notice, and pages consistently', async () => {
    const first = await search(db(), { q: '审核表', limit: 10 }, { access: SYSTEM });
    expect(first.exact).toBe(false);
    expect(first.notices.some((notice) => notice.includes('相关度排序只在最新的'))).toBe(true);
    const second = await search(
      db(),
      { q: '审核表', limit: 10, cursor: first.nextCursor ?? undefined },
      { access: SYSTEM },
    );
    const ids = [...first.hits, ...second.hits].map((hit) => hit.item.id);
    expect(new Set(ids).size).toBe(20);
    const scores = [...first.hits, ...second.hits].map((hit) => hit.score ?? 0);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
});

describe('with the planner statistics', () => {
  it('finds the same matches once statistics narrow the word index to its rare words', async () => {
    const item = await db()
      .selectFrom('archive_item')
      .select(['person_name', 'archive_code'])
      .where('title', 'like', '%审核表%')
      .where('person_name', 'is not', null)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const hospital = await db()
      .selectFrom('archive_item')
      .select(sql<string>`extra->>'hospital'`.as('name'))
      .where(sql<boolean>`extra->>'hospital' like '%医院'`)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const queries = [
      `${item.person_name} 审核表`,
      `题名:审核表 ${item.archive_code}`,
      '帕金森病 审核表',
      hospital.name,
      `"${hospital.name}" 门诊`,
    ];
    const answer = async (q: string) => {
      const result = await search(db(), { q, sort: 'date', limit: 100 }, { access: SYSTEM });
      return { total: result.total, exact: result.exact, ids: result.hits.map((hit) => hit.item.id) };
    };
    const before = await Promise.all(queries.map(answer));
    await sql`analyze search_doc`.execute(db());
    forgetTermStats(db());
    const narrowed = await narrowWordIndex(db(), {
      indexQuery: compileQuery(queries[0] as string).indexQuery,
      exact: null,
      scope: ALL_ITEMS,
    });
    // The title's pairs are in most items: checked per row, while the name's variants use the index.
    expect(narrowed.wordCheck).toContain('审核');
    expect(narrowed.indexQuery).not.toContain('审核');
    // A hospital's name is checked as a phrase, which proves its common pairs: not read per row too.
    const phrase = compileQuery(hospital.name);
    const byPhrase = await narrowWordIndex(db(), {
      indexQuery: phrase.indexQuery,
      exact: phrase.exact,
      scope: ALL_ITEMS,
    });
    expect(byPhrase.indexQuery).not.toContain('医院');
    expect(byPhrase.wordCheck ?? '').not.toContain('医院');
    const after = await Promise.all(queries.map(answer));
    expect(after).toEqual(before);
    expect(after[0]?.exact).toBe(true);
    expect(after[1]).toMatchObject({ total: 1, exact: true });
    expect(after[3]?.total).toBeGreaterThan(0);
    expect(after[4]?.total).toBeGreaterThan(0);
  });
});
