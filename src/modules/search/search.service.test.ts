import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, sql, type TestDatabase } from '../../../test/helpers/database.js';
import { FONDS, failure, reimbursement, validId, wrongCheckId } from '../../../test/helpers/fixtures.js';
import { inTransaction } from '../../db/transaction.js';
import { maskItem } from '../access/masking.js';
import { createFonds } from '../catalog/fonds.service.js';
import type { Item } from '../catalog/item.schema.js';
import { fileItems, updateItem } from '../catalog/item.service.js';
import { appendEvent } from '../integrity/event-log.js';
import { insertPageTexts } from './index.repo.js';
import { catchUpIndex } from './indexer.js';
import { type SearchRequest, type SearchResult, search } from './search.service.js';

// Search over a small hand-made archive whose every answer is known: twelve items, A to L, with
// distinct titles, names, years, regions, carriers and categories (see ITEMS). Expected results are
// written as the letters of the items found, sorted ("ACI").

let database: TestDatabase;
const db = () => database.db;
const PAPER = {
  carrier: 'paper',
  paperLocation: { warehouse: '一号库', cabinet: '03', shelf: '2', box: '0015' },
};
/** 六合区: region, hospital, 立档单位 and 经办机构. */
const LIUHE = {
  poolingRegion: '320116',
  extra: { hospital: '六合人民医院' },
  responsible: '南京市六合区医疗保障局',
  agency: '六合区医保服务中心',
};
const LINA = { handler: '李娜' };
const idOf = (n: number) => validId(`32011519800101${String(n).padStart(3, '0')}`);

/** A 个人零星报销 (JSLX) item of person n (参保号 320115000000n), handled by 王芳 in 江宁区. */
const person = (n: number, name: string, title: string, date: string, amount: string, more = {}) =>
  reimbursement({
    title,
    name,
    date,
    amount,
    idNumber: idOf(n),
    insuredNumber: `320115${String(n).padStart(7, '0')}`,
    handler: '王芳',
    ...more,
  });

/** A 定点机构结算 (JSDD) item: no person. */
const settlement = (title: string, date: string, amount: string, period: string, more = {}) => ({
  fonds: 'J013',
  category: 'JSDD',
  org: 'JSK',
  title,
  date,
  amount,
  responsible: '南京市江宁区医疗保障局',
  agency: '江宁区医保服务中心',
  handler: '王芳',
  poolingRegion: '320115',
  ...more,
  extra: { institutionCode: `H${period}`, settlementPeriod: period },
});

const ITEMS: Record<string, Record<string, unknown>> = {
  A: person(1, '张三丰', '张三丰门诊费用报销审核表', '2024-03-15', '1200', LINA),
  B: person(2, '张三峰', '张三峰住院费用报销审核表', '2023-06-10', '5600', PAPER),
  C: person(3, '章三丰', '章三丰门诊慢病报销审核表', '2022-09-01', '300', { ...LIUHE, ...LINA }),
  D: person(4, '张三车', '张三车异地就医报销审核表', '2021-11-20', '800', {
    ...LIUHE,
    ...PAPER,
    carrier: 'hybrid',
  }),
  E: person(5, '赵敏', '赵敏医疗救助金发放审批表', '2024-05-20', '2000', LINA),
  // 医疗, 疗救 and 救助 all occur, but never as the phrase 医疗救助.
  F: person(6, '孙立', '孙立医疗费用与疗救补贴及救助金审批表', '2023-02-02', '2500'),
  G: settlement('江宁医院第四季度定点结算汇总表', '2024-01-10', '98000', '2023Q4'),
  H: settlement('六合人民医院药品费用结算明细表', '2022-04-01', '45000', '2022Q1', {
    ...LIUHE,
    ...PAPER,
    ...LINA,
  }),
  I: person(9, '周杰', '周杰门诊特殊病种待遇审核表', '2020-08-08', '150', { category: 'DYMZ', extra: {} }),
  J: person(10, '吴刚', '吴刚住院费用报销审核表', '2024-07-07', '3000', { sensitivity: 'sensitive' }),
  K: person(11, '郑和', '郑和牙科报销审核表', '2021-03-03', '700', {
    poolingRegion: '320311',
    agency: '泉山区医保服务中心',
    extra: { hospital: '泉山医院' },
  }),
  L: person(12, '冯军', '冯军住院费用报销审核表', '2022-12-12', '8000'),
};

const code: Record<string, string> = {};
const letterOf = new Map<string, string>();

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS);
  const letters = Object.keys(ITEMS);
  const filed = await fileItems(db(), Object.values(ITEMS), 'clerk');
  for (const [index, item] of filed.entries()) {
    code[letters[index] as string] = item.archiveCode;
    letterOf.set(item.archiveCode, letters[index] as string);
  }
  // OCR text of L's second page: words found nowhere else.
  const l = filed[letters.indexOf('L')] as { id: number; archiveCode: string };
  await insertPageTexts(db(), l.id, [
    { page: 1, text: '费用清单', confidence: 0.95 },
    { page: 2, text: `患者冯军（${idOf(12)}）骨科会诊意见：建议保守治疗。`, confidence: 0.9 },
  ]);
  const subject = `item:${l.archiveCode}`;
  await inTransaction(db(), (trx) =>
    appendEvent(trx, { actor: 'test', action: 'item.text_recorded', subject, payload: {} }),
  );
  await catchUpIndex(db());
});
afterAll(() => database?.close());

const find = (request: SearchRequest) => search(db(), { limit: 100, ...request });
const lettersOf = (result: SearchResult) =>
  result.hits.map((hit) => letterOf.get(hit.item.archiveCode) ?? hit.item.archiveCode);
const found = async (request: SearchRequest) => {
  const result = await find(request);
  expect(result.total).toBe(result.hits.length);
  return lettersOf(result).sort().join('');
};
const counts = (values: Array<{ value: string; count: number }>) =>
  Object.fromEntries(values.map((facet) => [facet.value, facet.count]));
const errorCode = async (request: SearchRequest) => (await failure(find(request))).code;

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
    const present = async (items: Item[]) => items.map(maskItem);
    const [l] = (await search(db(), { q: '骨科' }, { present })).hits;
    const page = l?.highlights.find((highlight) => highlight.field === 'page.2');
    expect(page?.text).toContain('患者冯*(');
    expect(JSON.stringify(l?.highlights)).not.toMatch(/冯军|19800101/);
    for (const q of ['张三丰', '3201150000001']) {
      const { hits } = await search(db(), { q }, { present });
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
    await updateItem(db(), code.K as string, patch, 'clerk');
    const before = await find({ q: '眼科' });
    expect(before.total).toBe(0);
    expect(before.indexPending).toBeGreaterThan(0);
    const caughtUp = await search(db(), { q: '眼科' }, { catchUp: 100_000 });
    expect(lettersOf(caughtUp)).toEqual(['K']);
    expect(caughtUp.indexPending).toBe(0);
    expect(await found({ q: '牙科' })).toBe('');
  });

  it('finds a new filing only after catchUpIndex', async () => {
    const item = person(13, '褚红', '褚红针灸费用报销审核表', '2024-08-08', '100');
    const [filed] = await fileItems(db(), [item], 'clerk');
    expect((await find({ q: '针灸' })).total).toBe(0);
    await catchUpIndex(db());
    const result = await find({ q: '针灸' });
    expect(result.hits.map((hit) => hit.item.archiveCode)).toEqual([filed?.archiveCode]);
  });
});
