import { afterAll, beforeAll, expect } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { appendEvent } from '../../src/modules/integrity/event-log.js';
import { insertPageTexts } from '../../src/modules/search/index.repo.js';
import { catchUpIndex } from '../../src/modules/search/indexer.js';
import { type SearchRequest, type SearchResult, search } from '../../src/modules/search/search.service.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { SYSTEM } from './fixture-access.js';
import { FONDS, failure, reimbursement, validId } from './fixtures.js';

// Shared set-up for src/modules/search/search.service.test.ts and search.results.test.ts: search over
// a small hand-made archive whose every answer is known: twelve items, A to L, with distinct titles,
// names, years, regions, carriers and categories (see ITEMS). Expected results are written as the
// letters of the items found, sorted ("ACI"). Each test file calls useSearchArchive() once at its top
// level and gets its own database, so what one file changes cannot disturb the other.

let database: TestDatabase;
export const db = () => database.db;
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
export const idOf = (n: number) => validId(`32011519800101${String(n).padStart(3, '0')}`);

/** A 个人零星报销 (JSLX) item of person n (参保号 320115000000n), handled by 王芳 in 江宁区. */
export const person = (n: number, name: string, title: string, date: string, amount: string, more = {}) =>
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

/** Archive codes by letter, and letters by archive code, filled by useSearchArchive's beforeAll. */
export const code: Record<string, string> = {};
export const letterOf = new Map<string, string>();

/** Opens a test database and files and indexes the archive before the file's tests; closes it after them. */
export function useSearchArchive(): void {
  beforeAll(async () => {
    database = await openTestDatabase();
    await createFonds(db(), FONDS);
    const letters = Object.keys(ITEMS);
    const filed = await fileItems(db(), Object.values(ITEMS), 'clerk', { access: SYSTEM });
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
      appendEvent(trx, {
        actor: 'test',
        action: 'item.text_recorded',
        subject,
        payload: { pages: [1, 2], characters: 0 },
      }),
    );
    await catchUpIndex(db());
  });
  afterAll(() => database?.close());
}

export const find = (request: SearchRequest) => search(db(), { limit: 100, ...request }, { access: SYSTEM });
export const lettersOf = (result: SearchResult) =>
  result.hits.map((hit) => letterOf.get(hit.item.archiveCode) ?? hit.item.archiveCode);
export const found = async (request: SearchRequest) => {
  const result = await find(request);
  expect(result.total).toBe(result.hits.length);
  return lettersOf(result).sort().join('');
};
export const counts = (values: Array<{ value: string; count: number }>) =>
  Object.fromEntries(values.map((facet) => [facet.value, facet.count]));
export const errorCode = async (request: SearchRequest) => (await failure(find(request))).code;
