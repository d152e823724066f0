import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement } from '../../../test/helpers/fixtures.js';
import { ValidationError } from '../../shared/errors.js';
import { DEFAULT_ARCHIVE_CODE_PATTERN } from './archive-code.js';
import { changeFonds, createFonds, type FondsInput, findFonds, listFonds } from './fonds.service.js';
import { fileItems } from './item.service.js';

let database: TestDatabase;
const today = new Date('2026-11-22T00:00:00Z');
const CUSTOM = '{fonds}-{year}-{category}-{item:5}';

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());

async function issueFields(input: Partial<FondsInput>): Promise<string[]> {
  const error = await failure(createFonds(database.db, { ...FONDS, code: 'V001', ...input } as FondsInput));
  expect(error).toBeInstanceOf(ValidationError);
  return error.issues.map((issue) => issue.field);
}

describe('creating', () => {
  it('creates a fonds with the default 档号 pattern', async () => {
    const created = await createFonds(database.db, { ...FONDS, name: '  南京市江宁区医疗保障局 ' });
    expect(created).toEqual({ ...FONDS, archiveCodePattern: DEFAULT_ARCHIVE_CODE_PATTERN });
    expect(await findFonds(database.db, 'J013')).toEqual(created);
  });

  it('creates a fonds with its own pattern, and lists fonds by code', async () => {
    await createFonds(database.db, {
      code: 'K001',
      name: '苏州市医疗保障局',
      regionCode: '320500',
      archiveCodePattern: CUSTOM,
    });
    await createFonds(database.db, { code: 'A100', name: '北京市朝阳区医疗保障局', regionCode: '110105' });
    expect((await findFonds(database.db, 'K001'))?.archiveCodePattern).toBe(CUSTOM);
    expect((await listFonds(database.db)).map((fonds) => fonds.code)).toEqual(['A100', 'J013', 'K001']);
  });

  it('refuses a duplicate code', async () => {
    const error = await failure(createFonds(database.db, { ...FONDS, name: '另一个' }));
    expect(error).toMatchObject({ code: 'FONDS_EXISTS', kind: 'conflict', message: '全宗号“J013”已存在' });
    expect((await findFonds(database.db, 'J013'))?.name).toBe(FONDS.name);
  });

  it('validates code, name and region, all at once', async () => {
    for (const code of ['j013', 'J01', 'J0134', 'J-13', '']) {
      expect(await issueFields({ code }), code).toEqual(['code']);
    }
    for (const regionCode of ['999999', '32011', 'abcdef', '']) {
      expect(await issueFields({ regionCode }), regionCode).toEqual(['regionCode']);
    }
    expect(await issueFields({ name: ' ' })).toEqual(['name']);
    expect(await issueFields({ name: '局'.repeat(101) })).toEqual(['name']);
    expect(await issueFields({ code: 'x', name: '', regionCode: '999999' })).toEqual([
      'code',
      'name',
      'regionCode',
    ]);
    const error = await failure(createFonds(database.db, { ...FONDS, code: 'V001', regionCode: '999999' }));
    expect(error.issues[0]?.message).toContain('行政区划代码');
    expect(await findFonds(database.db, 'V001')).toBeUndefined();
  });

  it('refuses an invalid pattern and stores nothing', async () => {
    const error = await failure(
      createFonds(database.db, { ...FONDS, code: 'V002', archiveCodePattern: '{category}-{item:4}' }),
    );
    expect(error).toMatchObject({ code: 'PATTERN_INVALID', kind: 'invalid' });
    expect(error.message).toContain('缺少全宗号占位符');
    expect(await findFonds(database.db, 'V002')).toBeUndefined();
  });
});

describe('the 档号 pattern', () => {
  it('yields the expected 档号 for a custom pattern, one sequence per fonds, year and category', async () => {
    const filed = await fileItems(
      database.db,
      [
        reimbursement({ fonds: 'K001' }),
        reimbursement({ fonds: 'K001', org: 'DYK' }),
        reimbursement({ fonds: 'K001', date: '2023-12-31' }),
        reimbursement({
          fonds: 'K001',
          category: 'JSDD',
          extra: { institutionCode: 'H1', settlementPeriod: '2024-03' },
        }),
        reimbursement({ fonds: 'J013' }),
      ],
      'clerk',
      { access: SYSTEM, today },
    );
    expect(filed.map((item) => item.archiveCode)).toEqual([
      'K001-2024-JSLX-00001',
      'K001-2024-JSLX-00002',
      'K001-2023-JSLX-00001',
      'K001-2024-JSDD-00001',
      'J013-JSLX·2024-D30-JSK-0001',
    ]);
  });

  it('can be changed before anything is filed, and filing then uses the new pattern', async () => {
    const changed = await changeFonds(database.db, 'A100', {
      archiveCodePattern: 'YB{fonds}/{year}/{item:3}',
    });
    expect(changed.archiveCodePattern).toBe('YB{fonds}/{year}/{item:3}');
    const [filed] = await fileItems(database.db, [reimbursement({ fonds: 'A100' })], 'clerk', {
      access: SYSTEM,
      today,
    });
    expect(filed?.archiveCode).toBe('YBA100/2024/001');
  });

  it('is locked once an item is filed, while other changes stay allowed', async () => {
    for (const code of ['K001', 'A100']) {
      const error = await failure(
        changeFonds(database.db, code, { archiveCodePattern: DEFAULT_ARCHIVE_CODE_PATTERN }),
      );
      expect(error).toMatchObject({ code: 'PATTERN_LOCKED', kind: 'invalid' });
      expect(error.message).toContain(`全宗“${code}”已有归档档案`);
    }
    expect((await findFonds(database.db, 'K001'))?.archiveCodePattern).toBe(CUSTOM);
    const same = await changeFonds(database.db, 'K001', {
      archiveCodePattern: CUSTOM,
      name: ' 苏州市医保局 ',
    });
    expect(same).toEqual({
      code: 'K001',
      name: '苏州市医保局',
      regionCode: '320500',
      archiveCodePattern: CUSTOM,
    });
    const moved = await changeFonds(database.db, 'K001', { regionCode: '320505' });
    expect(moved.regionCode).toBe('320505');
    expect(moved.name).toBe('苏州市医保局');
  });

  it('refuses an invalid new pattern, bad fields and an unknown fonds', async () => {
    await createFonds(database.db, { code: 'E001', name: '空全宗', regionCode: '320115' });
    const pattern = await failure(changeFonds(database.db, 'E001', { archiveCodePattern: '{fonds}{item}' }));
    expect(pattern.code).toBe('PATTERN_INVALID');
    const region = await failure(changeFonds(database.db, 'E001', { regionCode: '999999' }));
    expect(region.issues.map((issue) => issue.field)).toEqual(['regionCode']);
    const name = await failure(changeFonds(database.db, 'E001', { name: '' }));
    expect(name.issues.map((issue) => issue.field)).toEqual(['name']);
    expect(await findFonds(database.db, 'E001')).toMatchObject({
      name: '空全宗',
      regionCode: '320115',
      archiveCodePattern: DEFAULT_ARCHIVE_CODE_PATTERN,
    });
    const missing = await failure(changeFonds(database.db, 'Z999', { name: '无' }));
    expect(missing).toMatchObject({ code: 'FONDS_NOT_FOUND', kind: 'not_found' });
  });
});
