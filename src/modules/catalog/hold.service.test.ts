import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import {
  BUSINESS,
  code,
  db,
  EVERYTHING,
  eventsOf,
  OWN_ID,
  useGrantDatabase,
  user,
} from '../../../test/helpers/grant-service.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import { heldItemsSql, holdStates, holdsOnItems } from './hold.queries.js';
import { type HoldInput, liftHold, listHolds, placeHold, showHold } from './hold.service.js';
import { updateItem } from './item.edit.service.js';
import { fileItems } from './item.service.js';

// 冻结 on a real database: placing by 档号, by a query (evaluated, so later filings are held too) and
// by category and year; lifting once, with a reason; scope; the person's ID number kept only as its
// blind index and shown masked; the refusal to shorten a held item's retention; and bad input.

useGrantDatabase();

const OTHER_ID = validId('32011619900101123');
const as = async (principal: Principal) => accessContextOf(db(), principal);
const place = async (principal: Principal, input: HoldInput) => placeHold(db(), await as(principal), input);
const idOf = async (archiveCode: string) =>
  (
    await db()
      .selectFrom('archive_item')
      .select('id')
      .where('archive_code', '=', archiveCode)
      .executeTakeFirstOrThrow()
  ).id;
const heldIds = async () =>
  (await sql<{ item_id: number }>`${heldItemsSql()}`.execute(db())).rows.map((row) => row.item_id).sort();

describe('placing and lifting holds', () => {
  it('holds a person’s archives by a query, stores only the blind index, shows it masked', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const hold = await place(archivist, {
      fonds: 'J013',
      kind: 'query',
      idNumber: OTHER_ID,
      reason: '骗保案件调查，封存该参保人全部档案',
      caseRef: '宁医保稽〔2026〕12号',
    });
    expect(hold.code).toMatch(/^DJ-\d{4}-\d+$/);
    expect(hold).toMatchObject({ kind: 'query', state: 'active', stateName: '冻结中', itemCount: 4 });
    expect(hold.selector.idNumber).toBe(`${OTHER_ID.slice(0, 6)}********${OTHER_ID.slice(-4)}`);
    expect(hold.summary).toContain('参保人身份证号 320116********');
    expect(JSON.stringify(hold)).not.toContain(OTHER_ID);
    // Nothing in the table or the log holds the number itself.
    const stored = await sql<{ row: string }>`select row_to_json(h)::text as row from legal_hold h`.execute(
      db(),
    );
    for (const { row } of stored.rows) expect(row).not.toContain(OTHER_ID);
    const events = await eventsOf(`hold:${hold.code}`);
    expect(events.map((event) => event.action)).toEqual(['hold.placed']);
    expect(JSON.stringify(events)).not.toContain(OTHER_ID);
    expect(events[0]?.payload).toMatchObject({ fonds: 'J013', kind: 'query', items: 4 });

    const held = await heldIds();
    for (const item of [code.sensitive, code.sensitive2, code.restricted, code.normal])
      expect(held).toContain(await idOf(item));
    expect(held).not.toContain(await idOf(code.outside)); // J014
    expect(held).not.toContain(await idOf(code.own)); // another person
    const onItems = await holdsOnItems(db(), [await idOf(code.normal), await idOf(code.own)]);
    expect(onItems.get(await idOf(code.normal))).toEqual([
      { code: hold.code, reason: '骗保案件调查，封存该参保人全部档案' },
    ]);
    expect(onItems.has(await idOf(code.own))).toBe(false);

    // Filed later and matching: held too (the query is evaluated, not snapshotted).
    const [later] = await fileItems(
      db(),
      [reimbursement({ idNumber: OTHER_ID, title: '后归档的报销单' })],
      'test',
      {
        access: SYSTEM,
      },
    );
    expect(await heldIds()).toContain(later?.id);
    expect((await showHold(db(), await as(archivist), hold.code)).itemCount).toBe(5);

    await liftHold(db(), await as(archivist), hold.code, '案件已结案，解除冻结');
    expect(await heldIds()).not.toContain(later?.id);
  });

  it('holds by 档号 and by category and year; an auditor places and lifts but sees no 档号', async () => {
    const auditor = await user(['auditor'], EVERYTHING);
    const byItems = await place(auditor, {
      fonds: 'J013',
      items: [code.own],
      reason: '审计发现疑点，冻结核查',
    });
    expect(byItems).toMatchObject({
      kind: 'items',
      kindName: '指定档案',
      itemCount: 1,
      placedBy: auditor.username,
    });
    const shown = await showHold(db(), await as(auditor), byItems.code);
    expect(shown.items).toBeNull();
    const archivist = await user(['archivist'], EVERYTHING);
    expect((await showHold(db(), await as(archivist), byItems.code)).items).toEqual([code.own]);

    const byYear = await place(archivist, {
      fonds: 'J013',
      kind: 'category_year',
      category: 'JSLX',
      year: 2024,
      reason: '上级专项检查，冻结该年度零星报销',
    });
    expect(byYear.itemCount).toBeGreaterThanOrEqual(5);
    const lifted = await liftHold(db(), await as(auditor), byItems.code, '核查完毕，无问题');
    expect(lifted).toMatchObject({
      state: 'lifted',
      liftedBy: auditor.username,
      liftReason: '核查完毕，无问题',
    });
    const events = await eventsOf(`hold:${byItems.code}`);
    expect(events.map((event) => event.action)).toEqual(['hold.placed', 'hold.lifted']);
    await liftHold(db(), await as(archivist), byYear.code, '专项检查结束');

    // verify's view: every hold's state is one the log carries.
    const states = await holdStates(db());
    expect(states.get(`hold:${byItems.code}`)).toMatchObject({
      liftedBy: auditor.username,
      items: [await idOf(code.own)],
    });
  });

  it('lifting needs a reason and happens once, even when two lift at the same moment', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const hold = await place(archivist, { fonds: 'J013', year: 2024, reason: '配合公安机关调查' });
    expect((await failure(liftHold(db(), await as(archivist), hold.code, '  '))).code).toBe(
      'HOLD_INPUT_INVALID',
    );
    const results = await Promise.allSettled([
      liftHold(db(), await as(archivist), hold.code, '调查结束，解除'),
      liftHold(db(), await as(archivist), hold.code, '调查结束，解除'),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.code).toBe('HOLD_ALREADY_LIFTED');
    expect(refused.reason.message).toContain(hold.code);
    const again = await failure(liftHold(db(), await as(archivist), hold.code, '再次解除试试'));
    expect(again.code).toBe('HOLD_ALREADY_LIFTED');
    expect((await eventsOf(`hold:${hold.code}`)).map((event) => event.action)).toEqual([
      'hold.placed',
      'hold.lifted',
    ]);
    expect((await failure(liftHold(db(), await as(archivist), 'DJ-2026-99999', '不存在的冻结'))).code).toBe(
      'HOLD_NOT_FOUND',
    );
  });
});

describe('a held item’s retention', () => {
  it('may be lengthened, not shortened, while held; the refusal names the hold', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const access = await as(archivist);
    const hold = await place(archivist, {
      fonds: 'J013',
      items: [code.normal],
      reason: '诉讼保全，暂停处置',
    });
    const refused = await failure(
      updateItem(db(), code.normal, { retention: 'D10', reason: '按新规缩短期限' }, archivist.username, {
        access,
      }),
    );
    expect(refused.code).toBe('ITEM_ON_HOLD');
    expect(refused.message).toContain(hold.code);
    expect(refused.message).toContain('定期10年');
    const longer = await updateItem(
      db(),
      code.normal,
      { retention: 'D50', reason: '延长保管' },
      archivist.username,
      {
        access,
      },
    );
    expect(longer.retention).toBe('D50');
    await liftHold(db(), access, hold.code, '诉讼终结');
    const shorter = await updateItem(
      db(),
      code.normal,
      { retention: 'D30', reason: '恢复原期限' },
      archivist.username,
      {
        access,
      },
    );
    expect(shorter.retention).toBe('D30');
  });
});

describe('scope and permissions', () => {
  it('needs hold.manage; a narrow scope holds only by 档号 within it and sees only its fonds’ holds', async () => {
    const clerk = await user(['clerk'], EVERYTHING);
    expect((await failure(place(clerk, { fonds: 'J013', year: 2024, reason: '无权冻结测试' }))).code).toBe(
      'FORBIDDEN',
    );
    const narrow = await user(['archivist'], BUSINESS);
    const wide = await user(['archivist'], EVERYTHING);
    const outside = await place(wide, { fonds: 'J014', year: 2024, reason: '六合区专项检查' });
    expect((await failure(place(narrow, { fonds: 'J013', year: 2024, reason: '整个年度冻结' }))).code).toBe(
      'HOLD_OUTSIDE_SCOPE',
    );
    // Another fonds answers as one that does not exist.
    const elsewhere = await failure(
      place(narrow, { fonds: 'J014', items: [code.outside], reason: '范围外档案' }),
    );
    const missing = await failure(
      place(narrow, { fonds: 'J099', items: [code.outside], reason: '范围外档案' }),
    );
    expect(elsewhere.code).toBe('FONDS_NOT_FOUND');
    expect(elsewhere.message.replace('J014', 'X')).toBe(missing.message.replace('J099', 'X'));
    expect(
      (await failure(place(narrow, { fonds: 'J013', items: [code.outside], reason: '范围外档案' }))).code,
    ).toBe('ITEM_NOT_FOUND');
    const mine = await place(narrow, { fonds: 'J013', items: [code.sensitive], reason: '本范围内冻结' });
    const listed = (await listHolds(db(), await as(narrow))).holds.map((hold) => hold.code);
    expect(listed).toContain(mine.code);
    expect(listed).not.toContain(outside.code);
    expect((await failure(showHold(db(), await as(narrow), outside.code))).code).toBe('HOLD_NOT_FOUND');
    expect((await failure(liftHold(db(), await as(narrow), outside.code, '越权解除'))).code).toBe(
      'HOLD_NOT_FOUND',
    );
    const own = await user(['insured'], [], OWN_ID);
    expect((await failure(place(own, { fonds: 'J013', items: [code.own], reason: '本人冻结' }))).code).toBe(
      'FORBIDDEN',
    );
  });
});

describe('query fields', () => {
  it('match by insured number, 机构代码, 定点机构编码 and business type, each with the others', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const [settled] = await fileItems(
      db(),
      [
        reimbursement({
          category: 'JSDD',
          title: '定点机构月度结算单',
          insuredNumber: undefined,
          idNumber: undefined,
          name: undefined,
          businessType: '月度结算',
          extra: { institutionCode: 'H32011500123', settlementPeriod: '2024-03' },
        }),
      ],
      'test',
      { access: SYSTEM },
    );
    const count = async (input: HoldInput) => {
      const hold = await place(archivist, { fonds: 'J013', reason: '按条件冻结测试', ...input });
      await liftHold(db(), await as(archivist), hold.code, '条件测试结束');
      return hold.itemCount;
    };
    expect(await count({ insuredNumber: '3201150012345' })).toBeGreaterThanOrEqual(5);
    expect(await count({ insuredNumber: '9999999999999' })).toBe(0);
    expect(await count({ institution: 'H32011500123' })).toBe(1);
    expect(await count({ institution: 'H32011500123', year: 2024, businessType: '月度结算' })).toBe(1);
    expect(await count({ institution: 'H32011500123', businessType: '零星报销' })).toBe(0);
    expect(await count({ org: 'JSK', category: 'JS' })).toBeGreaterThanOrEqual(6);
    const held = await place(archivist, {
      fonds: 'J013',
      institution: 'H32011500123',
      reason: '结算核查冻结',
    });
    expect((await holdsOnItems(db(), [settled?.id as number])).get(settled?.id as number)?.[0]?.code).toBe(
      held.code,
    );
    expect(held.selector).toMatchObject({ institution: 'H32011500123', idNumber: null });
    await liftHold(db(), await as(archivist), held.code, '结算核查结束');
  });
});

describe('numbering', () => {
  it('gives holds placed at the same moment distinct numbers', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const placed = await Promise.all(
      [1, 2, 3].map((n) => place(archivist, { fonds: 'J013', year: 2024, reason: `同时冻结第${n}项` })),
    );
    expect(new Set(placed.map((hold) => hold.code)).size).toBe(3);
    // The supervision cases (issue 27) place theirs with source 'case'; the log says so.
    const fromCase = await placeHold(
      db(),
      await as(archivist),
      { fonds: 'J013', year: 2023, reason: '监督案件自动冻结', caseRef: 'HC20230001' },
      { source: 'case' },
    );
    expect(fromCase).toMatchObject({ source: 'case', sourceName: '监督案件' });
    expect((await eventsOf(`hold:${fromCase.code}`))[0]?.payload).toMatchObject({ source: 'case' });
    for (const hold of placed) await liftHold(db(), await as(archivist), hold.code, '编号测试结束');
    // A case's hold is lifted by its case only, not by hand.
    await expect(liftHold(db(), await as(archivist), fromCase.code, '编号测试结束')).rejects.toMatchObject({
      code: 'HOLD_CASE_OWNED',
    });
    await liftHold(db(), await as(archivist), fromCase.code, '编号测试结束', { byCase: 'HC20230001' });
  });
});

describe('bad input', () => {
  it('refuses each with a clear Chinese error, never echoing an ID number', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const refused = async (input: Record<string, unknown>) => failure(place(archivist, input as HoldInput));
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ reason: '空的冻结条件' }, 'HOLD_SELECTOR_EMPTY', '须指明全宗'],
      [{ fonds: 'J013', reason: '只有全宗' }, 'HOLD_SELECTOR_EMPTY', '不能冻结整个全宗'],
      [
        { fonds: 'J013', kind: 'items', items: [], reason: '空档号列表' },
        'HOLD_SELECTOR_EMPTY',
        '至少列出一个档号',
      ],
      [
        { fonds: 'J013', items: ['J013-JSLX·2024-D30-JSK-9999'], reason: '不存在的档号' },
        'ITEM_NOT_FOUND',
        'J013-JSLX·2024-D30-JSK-9999',
      ],
      [{ fonds: 'J999', year: 2024, reason: '不存在的全宗' }, 'FONDS_NOT_FOUND', 'J999'],
      [{ fonds: 'J013', category: 'NOPE', reason: '不存在的类别' }, 'CATEGORY_NOT_FOUND', 'NOPE'],
      [
        { fonds: 'J013', kind: 'category_year', category: 'JSLX', reason: '缺少年度' },
        'HOLD_SELECTOR_EMPTY',
        '同时给出类别和年度',
      ],
      [
        { fonds: 'J013', kind: 'everything', year: 2024, reason: '方式不对' },
        'HOLD_INPUT_INVALID',
        '冻结方式',
      ],
      [{ fonds: 'J013', year: 1800, reason: '年度不对' }, 'HOLD_INPUT_INVALID', '年度'],
      [{ fonds: 'J013', year: 2024 }, 'HOLD_INPUT_INVALID', '冻结原因'],
      [{ fonds: 'J013', year: 2024, reason: '含\u0000空字符的原因' }, 'HOLD_INPUT_INVALID', '空字符'],
      [{ fonds: 'J013', year: 2024, reason: '不成对\ud800的代理字符' }, 'HOLD_INPUT_INVALID', '代理字符'],
      [{ fonds: 'J013', year: 2024, reason: '换行\n控制字符' }, 'HOLD_INPUT_INVALID', '控制字符'],
      [
        { fonds: 'J013', year: 2024, caseRef: 'x\udc00', reason: '案件编号坏了' },
        'HOLD_INPUT_INVALID',
        '案件编号',
      ],
      [
        { fonds: 'J013', items: [code.own], year: 2024, reason: '档号和条件混用' },
        'HOLD_INPUT_INVALID',
        '不能同时',
      ],
      [{ fonds: 'J013', items: ['J013-\ud800'], reason: '坏的档号文字' }, 'HOLD_INPUT_INVALID', '档号'],
      [{ fonds: 'J013', items: ['  '], reason: '空白的档号' }, 'HOLD_INPUT_INVALID', '档号不能为空'],
      [
        { fonds: 'J013', businessType: `报销${OTHER_ID}`, reason: '条件里藏身份证号' },
        'ID_NUMBER_IN_TEXT',
        '业务类型',
      ],
      [
        { fonds: 'J013', idNumber: '3201\u0000', reason: '身份证号含空字符' },
        'ID_NUMBER_INVALID',
        '参保人身份证号无效',
      ],
    ];
    for (const [input, errorCode, words] of cases) {
      const error = await refused(input);
      expect(error.code, JSON.stringify(input)).toBe(errorCode);
      expect(error.message, JSON.stringify(input)).toContain(words);
    }
    const wrongId = `${OTHER_ID.slice(0, 17)}${OTHER_ID.endsWith('1') ? '2' : '1'}`;
    const badId = await refused({ fonds: 'J013', idNumber: wrongId, reason: '身份证号有误' });
    expect(badId.code).toBe('ID_NUMBER_INVALID');
    expect(badId.message).not.toContain(wrongId);
    const inReason = await refused({ fonds: 'J013', year: 2024, reason: `冻结 ${OTHER_ID} 的档案` });
    expect(inReason.code).toBe('ID_NUMBER_IN_TEXT');
    expect(inReason.message).not.toContain(OTHER_ID);
    expect(
      await db().selectFrom('legal_hold').select('id').where('reason', 'like', '%空%').execute(),
    ).toEqual([]);
  });
});
