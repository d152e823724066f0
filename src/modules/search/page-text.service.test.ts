import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { recordPageTexts } from './page-text.service.js';
import { search } from './search.service.js';

// Text of scanned pages: recorded as an event, found by search with the page named, replaced when a
// page is recorded again, and refused whole when any page is malformed.

let database: TestDatabase;
const db = () => database.db;
let code: string;
let other: string;

const codesFor = async (q: string) =>
  (await search(db(), { q, sort: 'date', limit: 100 }, { access: SYSTEM, catchUp: 100_000 })).hits.map(
    (hit) => hit.item.archiveCode,
  );

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
  const filed = await fileItems(
    db(),
    [
      reimbursement({ title: '王建国 住院费用报销审核表' }),
      reimbursement({
        title: '李秀英 门诊费用报销审核表',
        name: '李秀英',
        idNumber: validId('32011519700101002'),
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  code = filed[0]?.archiveCode as string;
  other = filed[1]?.archiveCode as string;
});
afterAll(() => database?.close());

describe('recordPageTexts', () => {
  it('makes a word found only on a scanned page findable, naming the page in the highlight', async () => {
    await recordPageTexts(
      db(),
      code,
      [
        { page: 1, text: '出院小结 诊断：肺部感染', confidence: 91.5 },
        { page: 2, text: '费用清单 床位费 检查费 头孢曲松钠', confidence: 88 },
      ],
      'ocr',
      SYSTEM,
    );
    expect(await codesFor('头孢曲松钠')).toEqual([code]);
    expect(await codesFor('肺部感染')).toEqual([code]);
    const result = await search(db(), { q: '头孢' }, { access: SYSTEM });
    const highlight = result.hits[0]?.highlights.find((entry) => entry.field === 'page.2');
    expect(highlight?.label).toBe('第2页');
    const [start, end] = highlight?.marks[0] ?? [0, 0];
    expect(highlight?.text.slice(start, end)).toBe('头孢');
    const events = await db()
      .selectFrom('integrity_event')
      .select(['action', 'payload'])
      .where('subject', '=', `item:${code}`)
      .where('action', '=', 'item.text_recorded')
      .execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.payload as string)).toMatchObject({ pages: [1, 2] });
  });

  it('replaces the text of a page recorded again, so the old words are no longer found', async () => {
    await recordPageTexts(db(), code, [{ page: 2, text: '费用清单 阿莫西林胶囊' }], 'ocr', SYSTEM);
    expect(await codesFor('头孢曲松钠')).toEqual([]);
    expect(await codesFor('阿莫西林')).toEqual([code]);
    expect(await codesFor('肺部感染')).toEqual([code]);
  });

  it('indexes every page of a long document, the last as well as the first', async () => {
    const pages = Array.from({ length: 300 }, (_, index) => ({
      page: index + 1,
      text: `第${index + 1}页 普通文字。${index === 299 ? '罕见词琥珀酸美托洛尔' : ''}`.repeat(20),
    }));
    await recordPageTexts(db(), other, pages, 'ocr', SYSTEM);
    expect(await codesFor('琥珀酸美托洛尔')).toEqual([other]);
  });

  it('refuses malformed pages whole, in Chinese, and records nothing', async () => {
    const cases: Array<[Parameters<typeof recordPageTexts>[2], string]> = [
      [[], 'PAGE_TEXT_EMPTY'],
      [[{ page: 0, text: '零页' }], 'PAGE_TEXT_INVALID'],
      [[{ page: 1.5, text: '半页' }], 'PAGE_TEXT_INVALID'],
      [
        [
          { page: 3, text: '重复' },
          { page: 3, text: '重复' },
        ],
        'PAGE_TEXT_INVALID',
      ],
      [[{ page: 3, text: '长'.repeat(200_001) }], 'PAGE_TEXT_INVALID'],
      [[{ page: 3, text: '置信度', confidence: 150 }], 'PAGE_TEXT_INVALID'],
      [[{ page: 3, text: null as unknown as string }], 'PAGE_TEXT_INVALID'],
    ];
    for (const [pages, errorCode] of cases) {
      const error = await failure(recordPageTexts(db(), code, pages, 'ocr', SYSTEM));
      expect(error.code).toBe(errorCode);
      expect(error.message).toMatch(/[\u4e00-\u9fff]/);
    }
    const missing = await failure(
      recordPageTexts(db(), 'J013-NOPE', [{ page: 1, text: '无' }], 'ocr', SYSTEM),
    );
    expect(missing.code).toBe('ITEM_NOT_FOUND');
    const stored = await db()
      .selectFrom('item_page_text')
      .select('page')
      .where('text', 'in', ['零页', '半页', '重复', '置信度'])
      .execute();
    expect(stored).toEqual([]);
  });

  it('strips NUL characters, which PostgreSQL text cannot hold', async () => {
    await recordPageTexts(db(), code, [{ page: 4, text: '扫描\0结果 氯化钠注射液' }], 'ocr', SYSTEM);
    expect(await codesFor('氯化钠')).toEqual([code]);
  });
});
