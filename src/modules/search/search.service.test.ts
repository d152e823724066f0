import { describe, expect, it } from 'vitest';
import { sql } from '../../../test/helpers/database.js';
import { wrongCheckId } from '../../../test/helpers/fixtures.js';
import {
  code,
  counts,
  db,
  errorCode,
  find,
  found,
  idOf,
  lettersOf,
  useSearchArchive,
} from '../../../test/helpers/search-archive.js';
import { clearIndex } from './index.repo.js';
import { catchUpIndex } from './indexer.js';
import type { SearchRequest } from './search.service.js';

// Search over the hand-made archive of test/helpers/search-archive.ts (items A to L): the query
// language, look-ups by ID number, 档号 and name, and filters. Facets, sorting, highlights and
// following edits are in search.results.test.ts.

useSearchArchive();

describe('query language', () => {
  it.each([
    ['门诊', 'ACI'], // a two-character word
    ['丰', 'AC'], // a single character
    ['药', 'H'],
    ['医疗救助', 'E'], // pairs of F are all there, apart: not the phrase
    ['"医疗救助"', 'E'],
    ['“医疗救助”', 'E'],
    ['医疗 疗救 救助', 'EF'],
    ['门诊 报销', 'AC'],
    ['门诊 AND 报销', 'AC'],
    ['门诊 & 报销', 'AC'],
    ['住院 OR 药品', 'BHJL'],
    ['住院 | 药品', 'BHJL'],
    ['报销 NOT 门诊', 'BDJKL'],
    ['报销 -门诊', 'BDJKL'],
    ['门诊 OR 住院 报销', 'ABCIJL'], // AND binds tighter than OR
    ['(门诊 OR 住院) 报销', 'ABCJL'],
    ['(门诊 OR 住院) -报销', 'I'],
    ['江宁', 'ABEFGJL'], // title of G, hospital of the others
    // Only title terms carry a weight, so 题名: is also checked in the title text itself.
    ['题名:江宁', 'G'],
    ['题名:张三丰', 'A'],
    ['题名:"医疗救助"', 'E'],
    ['姓名:张三丰', 'ABCD'],
    ['姓名:赵敏', 'E'],
    ['3201150000001', 'A'], // 参保号 as a word
    ['参保号:3201150000002', 'B'],
    ['2023q4', 'G'],
    ['六合人民医院', 'CDH'], // C's and D's hospital field, H's title
    ['泉山医院', 'K'],
    ['骨科', 'L'], // only in L's page text
    ['骨科会诊', 'L'],
    ['门诊)', 'ACI'],
    ['-门诊', 'BDEFGHJKL'], // nothing but a NOT: every other item
    ['-医疗救助', 'ABCDFGHIJKL'], // NOT of a phrase excludes only the phrase, not its scattered pairs
    ['审批 -医疗救助', 'F'],
    ['２０２３Ｑ４', 'G'], // full-width forms fold
    ['牙医', ''],
  ])('%s finds %s', async (q, expected) => {
    expect(await found({ q })).toBe(expected);
  });

  it('checks phrases against the item itself in rows indexed before their body text was kept', async () => {
    const phrases = ['六合人民医院', '泉山医院', '医疗救助', '骨科会诊'];
    const before = await Promise.all(phrases.map((q) => found({ q })));
    await sql`update search_doc set body = null`.execute(db());
    try {
      expect(await Promise.all(phrases.map((q) => found({ q })))).toEqual(before);
    } finally {
      await clearIndex(db());
      await catchUpIndex(db());
    }
    const bodies = await sql<{ body: string | null }>`select body from search_doc`.execute(db());
    expect(bodies.rows.every((row) => row.body !== null)).toBe(true);
  });

  it('is exact with counts and facets of what matched', async () => {
    const result = await find({ q: '报销' });
    expect(result).toMatchObject({ total: 7, exact: true, sort: 'relevance', notices: [] });
    expect(counts(result.facets.category)).toEqual({ JSLX: 7 });
    expect(counts(result.facets.year)).toEqual({ 2024: 2, 2023: 1, 2022: 2, 2021: 2 });
    expect(counts(result.facets.region)).toEqual({ 320115: 4, 320116: 2, 320311: 1 });
  });
});

describe('look-ups', () => {
  it('finds exactly one item by a valid ID number and logs the look-up without the number', async () => {
    expect(await found({ q: idOf(3) })).toBe('C');
    expect(await found({ q: `身份证号:${idOf(5)}` })).toBe('E');
    const events = await db()
      .selectFrom('integrity_event')
      .selectAll()
      .where('action', '=', 'search.id_lookup')
      .execute();
    expect(events.length).toBe(2);
    expect(JSON.parse(events[0]?.payload as string)).toMatchObject({ lookups: 1, results: 1 });
    expect(events.map((event) => event.payload).join()).not.toContain(idOf(3));
  });

  it('refuses an ID number with a wrong check digit under 身份证号:, and reads it as a word otherwise', async () => {
    const first17 = idOf(3).slice(0, 17);
    expect(await errorCode({ q: `身份证号:${wrongCheckId(first17)}` })).toBe('ID_NUMBER_INVALID');
    const result = await find({ q: wrongCheckId(first17) });
    expect(result.total).toBe(0);
    expect(result.notices.join()).toContain('不是有效的身份证号');
  });

  it('finds an item by its whole 档号', async () => {
    expect(code.C).toMatch(/^J013-JSLX·2022-D30-JSK-\d{4}$/);
    expect(await found({ q: code.C })).toBe('C');
    expect(await found({ q: code.I })).toBe('I');
    expect(await found({ q: (code.C as string).toLowerCase() })).toBe('C');
  });

  it('finds homophones and one-character slips of a name, the exact name first', async () => {
    const result = await find({ q: '张三丰' });
    expect(lettersOf(result)[0]).toBe('A');
    expect(lettersOf(result).sort().join('')).toBe('ABCD');
    const slip = await find({ q: '张三车' });
    expect(lettersOf(slip)[0]).toBe('D');
    expect(lettersOf(slip).sort().join('')).toBe('ABD');
    expect(await found({ q: '赵明' })).toBe('E'); // homophone of 赵敏
    expect(await found({ q: '李四' })).toBe('');
  });
});

describe('filters', () => {
  it.each<[SearchRequest, string]>([
    [{ category: 'JS' }, 'ABCDEFGHJKL'], // the parent takes in its children
    [{ category: 'JSDD' }, 'GH'],
    [{ category: 'DY' }, 'I'],
    [{ yearFrom: 2022, yearTo: 2023 }, 'BCFHL'],
    [{ yearFrom: 2024 }, 'AEGJ'],
    [{ yearTo: 2020 }, 'I'],
    [{ yearFrom: 1990, yearTo: 2021 }, 'DIK'], // a long range: a column condition
    [{ region: '320116' }, 'CDH'],
    [{ region: '3201' }, 'ABCDEFGHIJL'],
    [{ region: '320100' }, 'ABCDEFGHIJL'],
    [{ carrier: 'paper' }, 'BH'],
    [{ carrier: '纸质' }, 'BH'],
    [{ carrier: '纸电双套' }, 'D'],
    [{ sensitivity: '敏感' }, 'J'],
    [{ sensitivity: 'sensitive' }, 'J'],
    [{ retention: 'D10' }, 'I'],
    [{ retention: '10年' }, 'I'],
    [{ amountMin: 1000, amountMax: '6000' }, 'ABEFJ'],
    [{ amountMin: '5600' }, 'BGHL'],
    [{ amountMax: 300 }, 'CI'],
    [{ dateFrom: '2024-01-01', dateTo: '2024-06-30' }, 'AEG'],
    [{ handler: '李娜' }, 'ACEH'],
    [{ agency: '六合区医保服务中心' }, 'CDH'],
    [{ agency: '南京市六合区医疗保障局' }, 'CDH'], // the 立档单位 counts as agency too
    [{ q: '报销', region: '320116' }, 'CD'],
    [{ q: '门诊', category: 'JSLX', yearTo: 2023 }, 'C'],
    [{ q: 'AND OR NOT', region: '320116' }, 'CDH'], // no words, but a filter
  ])('%o finds %s', async (request, expected) => {
    expect(await found(request)).toBe(expected);
  });

  it.each<SearchRequest>([
    { yearFrom: 2024, yearTo: 2020 },
    { yearFrom: 1800 },
    { dateFrom: '2024-02-30' },
    { dateFrom: '2024/01/01' },
    { dateFrom: '2024-05-01', dateTo: '2024-04-01' },
    { category: 'NOPE' },
    { amountMin: -5 },
    { amountMax: '-0.5' },
    { amountMin: 10, amountMax: 5 },
    { region: '32011' },
    { carrier: '木质' },
    { sensitivity: 'secret' },
    { retention: 'D20' },
    { fonds: 'j013' },
  ])('refuses %o with SEARCH_FILTER_INVALID', async (request) => {
    expect(await errorCode({ q: '报销', ...request })).toBe('SEARCH_FILTER_INVALID');
  });
});
