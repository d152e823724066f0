import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement, validId, wrongCheckId } from '../../../test/helpers/fixtures.js';
import { isYidangError, ValidationError } from '../../shared/errors.js';
import { createFonds } from './fonds.service.js';
import { itemHistory, updateItem } from './item.edit.service.js';
import { fileItems, getItem, listItems } from './item.service.js';
import { setRetentionOverride } from './retention.service.js';

let database: TestDatabase;
const today = new Date('2026-11-22T00:00:00Z');

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(database.db, FONDS);
});
afterAll(() => database?.close());

const rejection = (promise: Promise<unknown>) => failure(promise, ValidationError);

describe('filing', () => {
  it('assigns the 档号 from the fonds pattern and computes retention and expiry', async () => {
    const [filed] = await fileItems(database.db, [reimbursement()], '档案员甲', { access: SYSTEM, today });
    expect(filed?.archiveCode).toBe('J013-JSLX·2024-D30-JSK-0001');
    const item = await getItem(database.db, 'J013-JSLX·2024-D30-JSK-0001', SYSTEM);
    expect(item).toMatchObject({
      category: 'JSLX',
      year: 2024,
      itemNumber: 1,
      retention: 'D30',
      retentionExpiresOn: '2055-01-01',
      amount: '1234.50',
      carrier: 'electronic',
      sensitivity: 'normal',
      securityLevel: 'internal',
      version: 1,
      createdBy: '档案员甲',
      extra: { hospital: '江宁医院' },
    });
    expect(item.handledAt).toBe('2024-03-15T02:20:00.000Z');
  });

  it('numbers a batch gaplessly per sequence and keeps sequences apart', async () => {
    const batch = [
      reimbursement({ date: '2023-05-01' }),
      reimbursement({ date: '2023-06-01' }),
      reimbursement({ date: '2023-07-01', org: 'DYK' }),
    ];
    const filed = await fileItems(database.db, batch, 'clerk', { access: SYSTEM, today });
    expect(filed.map((item) => item.archiveCode)).toEqual([
      'J013-JSLX·2023-D30-JSK-0001',
      'J013-JSLX·2023-D30-JSK-0002',
      'J013-JSLX·2023-D30-DYK-0001',
    ]);
  });

  it('files 50 concurrent filers into one sequence as exactly 1..50', async () => {
    const filings = Array.from({ length: 50 }, (_, index) =>
      fileItems(database.db, [reimbursement({ date: '2022-01-01', title: `并发归档 ${index}` })], 'clerk', {
        access: SYSTEM,
        today,
      }),
    );
    const results = await Promise.all(filings);
    const numbers = results.map(([filed]) => Number(filed?.archiveCode.slice(-4))).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
  });

  it('applies the most specific regional retention override', async () => {
    await setRetentionOverride(
      database.db,
      { category: 'BA', regionCode: '320000', retention: 'D15', reason: '人口流动频繁，延长至15年' },
      'admin',
    );
    const filing = {
      fonds: 'J013',
      category: 'BA',
      org: 'YDK',
      title: '异地就医备案表',
      responsible: '江宁区医保中心',
      date: '2024-02-02',
      idNumber: validId(),
      name: '赵敏',
      extra: { destinationRegion: '440305', filingType: '异地长期居住' },
    };
    const [filed] = await fileItems(database.db, [filing], 'clerk', { access: SYSTEM, today });
    expect(filed?.archiveCode).toBe('J013-BA·2024-D15-YDK-0001');
    expect((await getItem(database.db, filed?.archiveCode ?? '', SYSTEM)).retentionExpiresOn).toBe(
      '2040-01-01',
    );
  });

  it('reports every problem of a bad item in Chinese, naming the field, and stores nothing', async () => {
    const before = (await listItems(database.db, { limit: 1000 }, SYSTEM)).items.length;
    const error = await rejection(
      fileItems(
        database.db,
        [
          reimbursement({
            idNumber: wrongCheckId(),
            amount: '-5',
            title: '题'.repeat(501),
            date: '2024-02-30',
            category: 'JSLX',
            carrier: 'paper',
            surprise: 1,
          }),
        ],
        'clerk',
        { access: SYSTEM, today },
      ),
    );
    const fields = error.issues.map((issue) => issue.field).sort();
    expect(fields).toEqual(['amount', 'date', 'idNumber', 'paperLocation', 'surprise', 'title']);
    expect(error.issues.find((issue) => issue.field === 'idNumber')?.message).toContain('身份证号校验码错误');
    expect(error.issues.find((issue) => issue.field === 'amount')?.message).toContain('不能为负数');
    expect(error.issues.find((issue) => issue.field === 'title')?.message).toContain('最多 500 个字符');
    expect((await listItems(database.db, { limit: 1000 }, SYSTEM)).items.length).toBe(before);
  });

  it('rejects a whole batch when one item is bad, using no numbers', async () => {
    const error = await rejection(
      fileItems(
        database.db,
        [reimbursement({ date: '2021-01-01' }), reimbursement({ category: 'NOPE' })],
        'clerk',
        { access: SYSTEM, today },
      ),
    );
    expect(error.issues[0]?.field).toBe('items[1].category');
    const [filed] = await fileItems(database.db, [reimbursement({ date: '2021-01-01' })], 'clerk', {
      access: SYSTEM,
      today,
    });
    expect(filed?.archiveCode).toBe('J013-JSLX·2021-D30-JSK-0001');
  });

  it('requires the category-specific fields and refuses parent categories', async () => {
    const error = await rejection(
      fileItems(database.db, [reimbursement({ extra: {} }), reimbursement({ category: 'JS' })], 'clerk', {
        access: SYSTEM,
        today,
      }),
    );
    expect(error.issues.map((issue) => issue.field)).toEqual([
      'items[0].extra.hospital',
      'items[1].category',
    ]);
    expect(error.issues[0]?.message).toContain('就诊医疗机构');
  });
});

describe('editing', () => {
  it('keeps every version with who, when and why, and never changes the 档号', async () => {
    const [filed] = await fileItems(database.db, [reimbursement({ date: '2020-03-03' })], 'clerk', {
      access: SYSTEM,
      today,
    });
    const code = filed?.archiveCode ?? '';
    await updateItem(database.db, code, { amount: '99.9', reason: '金额录入错误' }, 'reviewer', {
      access: SYSTEM,
      today,
    });
    const changed = await updateItem(
      database.db,
      code,
      { retention: 'D50', reason: '鉴定后延长' },
      'archivist',
      { access: SYSTEM, today },
    );
    expect(changed).toMatchObject({ archiveCode: code, amount: '99.90', retention: 'D50', version: 3 });
    expect(changed.retentionExpiresOn).toBe('2071-01-01');
    const history = await itemHistory(database.db, code, SYSTEM);
    expect(history.map((version) => [version.version, version.changedBy, version.reason])).toEqual([
      [1, 'clerk', null],
      [2, 'reviewer', '金额录入错误'],
      [3, 'archivist', '鉴定后延长'],
    ]);
    expect(history[0]?.item.amount).toBe('1234.50');
    expect(history[1]?.item.retention).toBe('D30');
  });

  it('refuses a change without a reason, an unchanged edit and a change of the 档号 fields', async () => {
    const [filed] = await fileItems(database.db, [reimbursement({ date: '2019-03-03' })], 'clerk', {
      access: SYSTEM,
      today,
    });
    const code = filed?.archiveCode ?? '';
    const noReason = await rejection(
      updateItem(database.db, code, { amount: '1' }, 'x', { access: SYSTEM, today }),
    );
    expect(noReason.issues[0]).toMatchObject({ field: 'reason' });
    const fixed = await rejection(
      updateItem(database.db, code, { category: 'DYMZ', reason: '改类' }, 'x', { access: SYSTEM, today }),
    );
    expect(fixed.issues[0]?.field).toBe('category');
    const same = await updateItem(database.db, code, { amount: '1234.50', reason: '无变化' }, 'x', {
      access: SYSTEM,
      today,
    }).catch((error: unknown) => error);
    expect(isYidangError(same) && same.code).toBe('NO_CHANGES');
    expect((await getItem(database.db, code, SYSTEM)).version).toBe(1);
  });
});
