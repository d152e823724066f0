import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement } from '../../../test/helpers/fixtures.js';
import { ValidationError } from '../../shared/errors.js';
import type { CategoryRow } from './catalog.repo.js';
import {
  addCategory,
  type CategoryInput,
  changeCategory,
  listCategories,
  removeCategory,
} from './category.service.js';
import { createFonds } from './fonds.service.js';
import { fileItems } from './item.service.js';
import { retentionSchedule, setRetentionOverride } from './retention.service.js';

let database: TestDatabase;
const today = new Date('2026-11-22T00:00:00Z');

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(database.db, FONDS);
});
afterAll(() => database?.close());

async function issueFields(input: Partial<CategoryInput>): Promise<string[]> {
  const error = await failure(
    addCategory(database.db, { code: 'OK1', name: '名称', defaultRetention: 'D10', ...input }),
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error.issues.map((issue) => issue.field);
}

const byCode = async (code: string): Promise<CategoryRow | undefined> =>
  (await listCategories(database.db)).find((row) => row.code === code);

describe('the built-in 医保 scheme', () => {
  it('has the top-level categories and their children, by name', async () => {
    const rows = await listCategories(database.db);
    const children = (parentName: string) => {
      const parent = rows.find((row) => row.name === parentName && row.parentId === null);
      expect(parent, parentName).toBeDefined();
      return rows.filter((row) => row.parentId === parent?.id).map((row) => row.name);
    };
    expect(children('参保登记')).toEqual(['单位参保登记', '个人参保登记']);
    expect(children('待遇审核')).toEqual(['门诊待遇审核', '住院待遇审核', '门诊慢特病待遇审核']);
    expect(children('费用结算')).toEqual(['定点机构结算', '个人零星报销', '异地就医结算']);
    expect(children('基金监管')).toEqual(['稽核', '内控']);
    expect(children('统计报表')).toEqual(['年度统计报表', '月/季统计报表']);
    for (const name of ['互联网诊疗档案', '医保电子凭证档案', '异地就医备案', '医疗救助', '长期护理保险']) {
      expect(children(name)).toEqual([]);
    }
    expect(rows.every((row) => row.builtin && row.status === 'active')).toBe(true);
  });

  it('carries defaults and category fields', async () => {
    expect(await byCode('CBDW')).toMatchObject({ defaultRetention: 'Y', requiresPerson: false });
    expect(await byCode('DYMT')).toMatchObject({ defaultSensitivity: 'sensitive', requiresPerson: true });
    expect((await byCode('JSLX'))?.extraFields).toEqual([
      { key: 'hospital', label: '就诊医疗机构', type: 'text', required: true, maxLength: 100 },
      // Added with the settlement data (issue 27): the archive behind a settlement is found by it.
      { key: 'settlementSerial', label: '结算流水号', type: 'text', required: false, maxLength: 64 },
    ]);
  });
});

describe('adding', () => {
  it('adds a category and a child under it', async () => {
    const parent = await addCategory(database.db, {
      code: 'ZDY',
      name: ' 自定义业务 ',
      defaultRetention: 'D15',
      retentionBasis: ' 本局规定 ',
    });
    expect(parent).toMatchObject({
      code: 'ZDY',
      name: '自定义业务',
      parentId: null,
      defaultRetention: 'D15',
      retentionBasis: '本局规定',
      defaultSensitivity: 'normal',
      builtin: false,
      status: 'active',
    });
    const child = await addCategory(database.db, {
      code: 'ZDY1',
      name: '自定义子类',
      parent: 'ZDY',
      defaultRetention: 'D10',
      defaultSensitivity: 'sensitive',
      requiresAmount: true,
      extraFields: [{ key: 'kind', label: '种类', type: 'enum', required: true, options: ['甲', '乙'] }],
    });
    const stored = await byCode('ZDY1');
    expect(stored).toEqual(child);
    expect(stored).toMatchObject({
      parentId: parent.id,
      defaultSensitivity: 'sensitive',
      requiresAmount: true,
    });
    expect(stored?.extraFields[0]?.options).toEqual(['甲', '乙']);
    const rows = await listCategories(database.db);
    expect(rows.at(-1)?.code).toBe('ZDY1');
  });

  it('refuses a duplicate code, including a built-in one, and an unknown parent', async () => {
    for (const code of ['ZDY', 'CB']) {
      const error = await failure(addCategory(database.db, { code, name: '重复', defaultRetention: 'D10' }));
      expect(error).toMatchObject({ code: 'CATEGORY_EXISTS', kind: 'conflict' });
      expect(error.message).toBe(`类别代码“${code}”已存在`);
    }
    const orphan = await failure(
      addCategory(database.db, { code: 'ORPH', name: '孤儿', parent: 'NOPE', defaultRetention: 'D10' }),
    );
    expect(orphan).toMatchObject({ code: 'CATEGORY_NOT_FOUND', kind: 'not_found' });
    expect(await byCode('ORPH')).toBeUndefined();
  });

  it('validates code, name, retention and sensitivity, all at once', async () => {
    for (const code of ['abc', '', 'A-B', 'A'.repeat(17), '类别']) {
      expect(await issueFields({ code }), code).toEqual(['code']);
    }
    expect(await issueFields({ name: '  ' })).toEqual(['name']);
    expect(await issueFields({ name: '名'.repeat(51) })).toEqual(['name']);
    expect(await issueFields({ defaultRetention: 'D20' })).toEqual(['defaultRetention']);
    expect(await issueFields({ defaultSensitivity: 'secret' })).toEqual(['defaultSensitivity']);
    expect(await issueFields({ code: 'x', name: '', defaultRetention: '永久' })).toEqual([
      'code',
      'name',
      'defaultRetention',
    ]);
    const fifty = await addCategory(database.db, {
      code: 'LONG',
      name: '名'.repeat(50),
      defaultRetention: 'Y',
    });
    expect(fifty.name).toHaveLength(50);
  });

  it('validates category fields', async () => {
    const good = { key: 'ok', label: '好', type: 'text' as const, required: false };
    expect(
      await issueFields({
        extraFields: [{ key: '1bad', label: '', type: 'blob' as never, required: true }],
      }),
    ).toEqual(['extraFields[0].key', 'extraFields[0].label', 'extraFields[0].type']);
    expect(await issueFields({ extraFields: [good, { ...good, label: '重复' }] })).toEqual([
      'extraFields[1].key',
    ]);
    expect(await issueFields({ extraFields: [{ ...good, type: 'enum' }] })).toEqual([
      'extraFields[0].options',
    ]);
    expect(await issueFields({ extraFields: [{ ...good, type: 'enum', options: [] }] })).toEqual([
      'extraFields[0].options',
    ]);
    expect(await issueFields({ extraFields: [{ ...good, key: `k${'x'.repeat(40)}` }] })).toEqual([
      'extraFields[0].key',
    ]);
    expect(await issueFields({ extraFields: [{ ...good, label: '名'.repeat(31) }] })).toEqual([
      'extraFields[0].label',
    ]);
    expect(await issueFields({ extraFields: 'hospital' as never })).toEqual(['extraFields']);
    const many = Array.from({ length: 31 }, (_, index) => ({ ...good, key: `k${index}` }));
    expect(await issueFields({ extraFields: many })).toEqual(['extraFields']);
  });
});

describe('changing', () => {
  it('renames, trimming, and refuses a blank name or an unknown status or category', async () => {
    const renamed = await changeCategory(database.db, 'ZDY', { name: '  自定义业务（新） ' });
    expect(renamed.name).toBe('自定义业务（新）');
    expect((await byCode('ZDY'))?.name).toBe('自定义业务（新）');
    const blank = await failure(changeCategory(database.db, 'ZDY', { name: ' ' }));
    expect(blank.issues.map((issue) => issue.field)).toEqual(['name']);
    const status = await failure(changeCategory(database.db, 'ZDY', { status: 'deleted' as never }));
    expect(status.issues.map((issue) => issue.field)).toEqual(['status']);
    const missing = await failure(changeCategory(database.db, 'NOPE', { name: '无' }));
    expect(missing.code).toBe('CATEGORY_NOT_FOUND');
    expect((await byCode('ZDY'))?.name).toBe('自定义业务（新）');
  });

  it('changes the category fields', async () => {
    const changed = await changeCategory(database.db, 'ZDY1', {
      extraFields: [
        { key: 'kind', label: '种类', type: 'enum', required: true, options: ['甲', '乙', '丙'] },
      ],
    });
    expect(changed.extraFields[0]?.options).toEqual(['甲', '乙', '丙']);
    const bad = await failure(
      changeCategory(database.db, 'ZDY1', { extraFields: [{ key: '', label: 'x' } as never] }),
    );
    expect(bad.issues.map((issue) => issue.field)).toEqual(['extraFields[0].key', 'extraFields[0].type']);
  });

  it('refuses to file into a retired category, and files again once reactivated', async () => {
    await addCategory(database.db, { code: 'TY', name: '停用测试', defaultRetention: 'D10' });
    const item = reimbursement({ category: 'TY', date: '2024-05-06' });
    const [first] = await fileItems(database.db, [item], 'clerk', { access: SYSTEM, today });
    expect(first?.archiveCode).toBe('J013-TY·2024-D10-JSK-0001');
    expect((await changeCategory(database.db, 'TY', { status: 'retired' })).status).toBe('retired');
    const refused = await failure(fileItems(database.db, [item], 'clerk', { access: SYSTEM, today }));
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused.issues).toEqual([{ field: 'category', message: '类别“TY 停用测试”已停用，不能再归档' }]);
    await changeCategory(database.db, 'TY', { status: 'active' });
    const [second] = await fileItems(database.db, [item], 'clerk', { access: SYSTEM, today });
    expect(second?.archiveCode).toBe('J013-TY·2024-D10-JSK-0002');
  });
});

describe('removing', () => {
  it('refuses to delete a category that holds items or sub-categories', async () => {
    for (const code of ['TY', 'ZDY', 'CB']) {
      const error = await failure(removeCategory(database.db, code));
      expect(error).toMatchObject({ code: 'CATEGORY_IN_USE', kind: 'invalid' });
      expect(error.message).toContain('不能删除，只能停用');
      expect(await byCode(code)).toBeDefined();
    }
  });

  it('deletes an unused category, with its retention overrides', async () => {
    await addCategory(database.db, { code: 'DEL', name: '待删除', defaultRetention: 'D10' });
    await setRetentionOverride(
      database.db,
      { category: 'DEL', regionCode: '320115', retention: 'D30', reason: '测试' },
      'admin',
    );
    await removeCategory(database.db, 'DEL');
    expect(await byCode('DEL')).toBeUndefined();
    expect((await retentionSchedule(database.db)).some((entry) => entry.category === 'DEL')).toBe(false);
    const again = await failure(removeCategory(database.db, 'DEL'));
    expect(again.code).toBe('CATEGORY_NOT_FOUND');
  });

  it('deletes a leaf, after which its parent is unused and can go too', async () => {
    await removeCategory(database.db, 'ZDY1');
    expect(await byCode('ZDY1')).toBeUndefined();
    await removeCategory(database.db, 'ZDY');
    expect(await byCode('ZDY')).toBeUndefined();
  });
});
