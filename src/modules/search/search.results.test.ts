import { describe, expect, it } from 'vitest';
import { sql } from '../../../test/helpers/database.js';
import { SYSTEM, scopedAccess } from '../../../test/helpers/fixture-access.js';
import {
  code,
  counts,
  db,
  errorCode,
  find,
  found,
  idOf,
  letterOf,
  lettersOf,
  person,
  useSearchArchive,
} from '../../../test/helpers/search-archive.js';
import { updateItem } from '../catalog/item.edit.service.js';
import { fileItems } from '../catalog/item.service.js';
import { catchUpIndex } from './indexer.js';
import { type SearchRequest, search } from './search.service.js';

// What a search over the hand-made archive of test/helpers/search-archive.ts (items A to L) answers:
// facets, sort orders and paging, highlights, malformed queries, and following edits. The edits
// change the archive (and the count of items checked under malformed queries), so they come last.

useSearchArchive();

describe('facets and sorting', () => {
  it('counts every filed item per category, year, region and carrier', async () => {
    const result = await find({});
    expect(result).toMatchObject({ total: 12, exact: true, sort: 'date' });
    expect(counts(result.facets.category)).toEqual({ JSLX: 9, JSDD: 2, DYMZ: 1 });
    expect(result.facets.category[0]).toEqual({ value: 'JSLX', label: '个人零星报销', count: 9 });
    expect(result.facets.year.map((facet) => [facet.label, facet.count])).toEqual([
      ['2024年', 4],
      ['2023年', 2],
      ['2022年', 3],
      ['2021年', 2],
      ['2020年', 1],
    ]);
    expect(counts(result.facets.region)).toEqual({ 320115: 8, 320116: 3, 320311: 1 });
    expect(result.facets.region[0]).toEqual({ value: '320115', label: '江宁区', count: 8 });
    expect(counts(result.facets.carrier)).toEqual({ electronic: 9, paper: 2, hybrid: 1 });
    expect(result.facets.carrier.find((facet) => facet.value === 'paper')?.label).toBe('纸质');
  });

  it('ranks a title match above one elsewhere, newest first on ties; or sorts by date', async () => {
    expect(lettersOf(await find({ q: '江宁' }))[0]).toBe('G');
    expect(lettersOf(await find({ q: '门诊' })).join('')).toBe('ACI');
    expect(lettersOf(await find({ q: '江宁', sort: 'date' })).join('')).toBe('JEAGBFL');
  });

  it('keeps pages between 1 and 100 items', async () => {
    const one = await find({ limit: 0 });
    expect(one.hits).toHaveLength(1);
    expect(one.nextCursor).not.toBeNull();
    expect((await find({ limit: 1000 })).hits).toHaveLength(12);
  });

  it.each<[SearchRequest, string]>([
    [{ sort: 'date' }, 'JEAGBFLCHDKI'],
    [{ q: '报销' }, ''],
  ])(
    'walks %o two at a time without duplicates or gaps (newest first by date)',
    async (request, expected) => {
      const all = lettersOf(await find(request)).join('');
      if (expected) expect(all).toBe(expected);
      const walked: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const result = await find({ ...request, limit: 2, cursor });
        walked.push(...lettersOf(result));
        expect(result.hits.length).toBeLessThanOrEqual(2);
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
      expect(walked.join('')).toBe(all);
    },
  );

  it('refuses a cursor of another sort order, or garbage, with CURSOR_INVALID', async () => {
    const { nextCursor } = await find({ sort: 'date', limit: 2 });
    expect(nextCursor).toEqual(expect.any(String));
    expect(await errorCode({ q: '报销', sort: 'relevance', cursor: nextCursor as string })).toBe(
      'CURSOR_INVALID',
    );
    expect(await errorCode({ q: '报销', cursor: nextCursor as string })).toBe('CURSOR_INVALID');
    expect(await errorCode({ sort: 'date', cursor: 'not-a-cursor' })).toBe('CURSOR_INVALID');
    const forged = Buffer.from(JSON.stringify(['date', null, 2024, "2024'; --", 1])).toString('base64url');
    expect(await errorCode({ sort: 'date', cursor: forged })).toBe('CURSOR_INVALID');
  });
});

describe('highlights', () => {
  it('marks the matched word in the title', async () => {
    const result = await find({ q: '门诊' });
    expect(result.hits).toHaveLength(3);
    for (const hit of result.hits) {
      const title = hit.highlights.find((highlight) => highlight.field === 'title');
      expect(title?.text).toBe(hit.item.title);
      expect(title?.marks).toHaveLength(1);
      const [start, end] = title?.marks[0] ?? [0, 0];
      expect(title?.text.slice(start, end)).toBe('门诊');
    }
    const a = result.hits.find((hit) => letterOf.get(hit.item.archiveCode) === 'A');
    expect(a?.highlights.find((highlight) => highlight.field === 'title')?.marks).toEqual([[3, 5]]);
  });

  it('marks a name in the title and in the 姓名 field', async () => {
    const [first] = (await find({ q: '张三丰' })).hits;
    const fields = Object.fromEntries((first?.highlights ?? []).map((h) => [h.field, h]));
    expect(fields.title).toMatchObject({ label: '题名', text: '张三丰门诊费用报销审核表', marks: [[0, 3]] });
    expect(fields.name).toMatchObject({ label: '姓名', text: '张三丰', marks: [[0, 3]] });
  });

  it('marks a word of page text on its page, with ID numbers masked', async () => {
    const [hit] = (await find({ q: '骨科' })).hits;
    const page = hit?.highlights.find((highlight) => highlight.field === 'page.2');
    expect(page?.label).toBe('第2页');
    const [start, end] = page?.marks[0] ?? [0, 0];
    expect(page?.text.slice(start, end)).toBe('骨科');
    expect(page?.text).not.toContain(idOf(12));
    expect(hit?.highlights.some((highlight) => highlight.field === 'page.1')).toBe(false);
  });

  it('cuts highlights from the masked item, leaking neither the name nor numbers', async () => {
    // A person whose scope covers everything, shown items masked (the default).
    const masked = scopedAccess({
      rows: [{ fondsCode: null, regionPrefix: null, categoryIds: null }],
      idNumber: null,
    });
    const [l] = (await search(db(), { q: '骨科' }, { access: masked })).hits;
    const page = l?.highlights.find((highlight) => highlight.field === 'page.2');
    expect(page?.text).toContain('患者冯*(');
    expect(JSON.stringify(l?.highlights)).not.toMatch(/冯军|19800101/);
    for (const q of ['张三丰', '3201150000001']) {
      const { hits } = await search(db(), { q }, { access: masked });
      expect(hits.length).toBeGreaterThan(0);
      expect(
        JSON.stringify(hits.map((hit) => [hit.item.name, hit.item.title, hit.highlights])),
      ).not.toContain(q);
    }
  });
});

describe('malformed queries', () => {
  it('reads an unclosed quote to the end, with a notice', async () => {
    const result = await find({ q: '"医疗救助' });
    expect(lettersOf(result)).toEqual(['E']);
    expect(result.notices.join()).toContain('引号未闭合');
  });

  it('refuses a query of operators only, and one too long', async () => {
    expect(await errorCode({ q: 'AND OR NOT' })).toBe('QUERY_EMPTY');
    expect(await errorCode({ q: '() - &' })).toBe('QUERY_EMPTY');
    expect(await errorCode({ q: '门'.repeat(10_000) })).toBe('QUERY_TOO_LONG');
  });

  it('ignores control characters', async () => {
    expect(await found({ q: '\u0000门诊\u001b\u200b' })).toBe('ACI');
  });

  it('treats an SQL fragment as words: no error, nothing found, nothing dropped', async () => {
    const result = await find({ q: "'; drop table archive_item; --" });
    expect(result.total).toBe(0);
    expect(result.hits).toEqual([]);
    const rows = await sql<{ n: number }>`select count(*)::int as n from archive_item`.execute(db());
    expect(rows.rows[0]?.n).toBe(12);
    expect(await found({ q: "报销'" })).toBe('ABCDJKL');
    expect(await found({ q: 'a\\b:* & !x' })).toBe('');
  });
});

describe('following edits', () => {
  it('finds an edited item under its new title once the index has caught up', async () => {
    expect(await found({ q: '牙科' })).toBe('K');
    const patch = { title: '郑和眼科报销审核表', reason: '题名录入有误' };
    await updateItem(db(), code.K as string, patch, 'clerk', { access: SYSTEM });
    const before = await find({ q: '眼科' });
    expect(before.total).toBe(0);
    expect(before.indexPending).toBeGreaterThan(0);
    const caughtUp = await search(db(), { q: '眼科' }, { access: SYSTEM, catchUp: 100_000 });
    expect(lettersOf(caughtUp)).toEqual(['K']);
    expect(caughtUp.indexPending).toBe(0);
    expect(await found({ q: '牙科' })).toBe('');
  });

  it('finds a new filing only after catchUpIndex', async () => {
    const item = person(13, '褚红', '褚红针灸费用报销审核表', '2024-08-08', '100');
    const [filed] = await fileItems(db(), [item], 'clerk', { access: SYSTEM });
    expect((await find({ q: '针灸' })).total).toBe(0);
    await catchUpIndex(db());
    const result = await find({ q: '针灸' });
    expect(result.hits.map((hit) => hit.item.archiveCode)).toEqual([filed?.archiveCode]);
  });
});
