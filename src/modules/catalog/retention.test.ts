import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { failure } from '../../../test/helpers/fixtures.js';
import { isYidangError, ValidationError } from '../../shared/errors.js';
import {
  isRetentionPeriod,
  RETENTION_LABELS,
  RETENTION_PERIODS,
  type RetentionRule,
  regionLadder,
  resolveRetention,
  retentionExpiry,
  retentionYears,
} from './retention.js';
import { removeRetentionOverride, retentionSchedule, setRetentionOverride } from './retention.service.js';

describe('retention periods', () => {
  it('knows the six periods and their labels', () => {
    expect([...RETENTION_PERIODS]).toEqual(['Y', 'D100', 'D50', 'D30', 'D15', 'D10']);
    expect(RETENTION_LABELS.Y).toBe('永久');
    expect(RETENTION_LABELS.D30).toBe('定期30年');
    for (const period of RETENTION_PERIODS) expect(isRetentionPeriod(period)).toBe(true);
    for (const other of ['d10', 'D20', 'Y ', '', 10, null, undefined, 'D1000']) {
      expect(isRetentionPeriod(other)).toBe(false);
    }
  });

  it('counts years, with null for permanent', () => {
    expect(retentionYears('Y')).toBeNull();
    expect(retentionYears('D10')).toBe(10);
    expect(retentionYears('D100')).toBe(100);
  });

  it('expires on 1 January of the year after formation plus the period', () => {
    expect(retentionExpiry('D10', 2024)).toBe('2035-01-01');
    expect(retentionExpiry('D15', 2024)).toBe('2040-01-01');
    expect(retentionExpiry('D30', 2024)).toBe('2055-01-01');
    expect(retentionExpiry('D50', 2020)).toBe('2071-01-01');
    expect(retentionExpiry('D100', 2024)).toBe('2125-01-01');
    expect(retentionExpiry('D10', 1900)).toBe('1911-01-01');
    expect(retentionExpiry('Y', 2024)).toBeNull();
  });
});

describe('regionLadder', () => {
  it('climbs from county to prefecture to province', () => {
    expect(regionLadder('320115')).toEqual(['320115', '320100', '320000']);
  });

  it('does not repeat a level', () => {
    expect(regionLadder('320100')).toEqual(['320100', '320000']);
    expect(regionLadder('320000')).toEqual(['320000']);
  });
});

describe('resolveRetention', () => {
  const rules: RetentionRule[] = [
    { categoryId: 1, regionCode: '320000', retention: 'D15' },
    { categoryId: 1, regionCode: '320100', retention: 'D50' },
    { categoryId: 1, regionCode: '320115', retention: 'Y' },
    { categoryId: 2, regionCode: '320114', retention: 'D100' },
  ];

  it('prefers county over prefecture over province over the default', () => {
    expect(resolveRetention('D10', 1, '320115', rules)).toBe('Y');
    expect(resolveRetention('D10', 1, '320114', rules)).toBe('D50');
    expect(resolveRetention('D10', 1, '320115', rules.slice(0, 2))).toBe('D50');
    expect(resolveRetention('D10', 1, '320115', rules.slice(0, 1))).toBe('D15');
    expect(resolveRetention('D10', 1, '320205', rules)).toBe('D15');
    expect(resolveRetention('D10', 1, '440305', rules)).toBe('D10');
    expect(resolveRetention('D10', 1, '320115', [])).toBe('D10');
  });

  it('uses the default without a region, and only rules of the same category', () => {
    expect(resolveRetention('D30', 1, null, rules)).toBe('D30');
    expect(resolveRetention('D30', 2, '320115', rules)).toBe('D30');
    expect(resolveRetention('D30', 2, '320114', rules)).toBe('D100');
    expect(resolveRetention('D30', 3, '320115', rules)).toBe('D30');
  });

  it('does not depend on the order of the rules', () => {
    expect(resolveRetention('D10', 1, '320115', [...rules].reverse())).toBe('Y');
    expect(resolveRetention('D10', 1, '320105', [...rules].reverse())).toBe('D50');
  });
});

describe('retention schedule (database)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  const validation = (promise: Promise<unknown>) => failure(promise, ValidationError);

  it('lists each category with its default and basis', async () => {
    const schedule = await retentionSchedule(database.db);
    const cbgr = schedule.find((entry) => entry.category === 'CBGR');
    expect(cbgr).toMatchObject({
      categoryName: '个人参保登记',
      status: 'active',
      defaultRetention: 'D100',
      defaultLabel: '定期100年',
      overrides: [],
    });
    expect(cbgr?.basis).toContain('社会保险业务档案管理规定');
    expect(schedule.find((entry) => entry.category === 'TJND')?.defaultLabel).toBe('永久');
  });

  it('requires a reason, a known region and a valid period, reporting all at once', async () => {
    const error = await validation(
      setRetentionOverride(
        database.db,
        { category: 'BA', regionCode: '999999', retention: 'D20', reason: '  ' },
        'a',
      ),
    );
    expect(error.issues.map((issue) => issue.field).sort()).toEqual(['reason', 'regionCode', 'retention']);
    expect(error.issues.find((issue) => issue.field === 'reason')?.message).toContain('须说明依据');
    const tooLong = await validation(
      setRetentionOverride(
        database.db,
        { category: 'BA', regionCode: '320000', retention: 'D15', reason: '由'.repeat(501) },
        'a',
      ),
    );
    expect(tooLong.issues.map((issue) => issue.field)).toEqual(['reason']);
    const notCode = await validation(
      setRetentionOverride(
        database.db,
        { category: 'BA', regionCode: '3200', retention: 'D15', reason: 'x' },
        'a',
      ),
    );
    expect(notCode.issues.map((issue) => issue.field)).toEqual(['regionCode']);
    expect(
      (await retentionSchedule(database.db)).find((entry) => entry.category === 'BA')?.overrides,
    ).toEqual([]);
  });

  it('refuses an unknown category', async () => {
    const error = await setRetentionOverride(
      database.db,
      { category: 'NOPE', regionCode: '320000', retention: 'D15', reason: '依据' },
      'a',
    ).catch((caught: unknown) => caught);
    expect(isYidangError(error) && error.code).toBe('CATEGORY_NOT_FOUND');
  });

  it('lists an override with the region name, reason and who set it, and replaces it on a second set', async () => {
    await setRetentionOverride(
      database.db,
      { category: 'BA', regionCode: '320115', retention: 'D15', reason: '  人口流动频繁  ' },
      '管理员甲',
    );
    await setRetentionOverride(
      database.db,
      { category: 'BA', regionCode: '320000', retention: 'D30', reason: '省级规定' },
      '管理员乙',
    );
    await setRetentionOverride(
      database.db,
      { category: 'BA', regionCode: '320000', retention: 'D50', reason: '省级规定修订' },
      '管理员丙',
    );
    const entry = (await retentionSchedule(database.db)).find((row) => row.category === 'BA');
    expect(entry?.overrides).toEqual([
      {
        regionCode: '320000',
        regionName: '江苏省',
        retention: 'D50',
        reason: '省级规定修订',
        setBy: '管理员丙',
      },
      {
        regionCode: '320115',
        regionName: '江苏省 南京市 江宁区',
        retention: 'D15',
        reason: '人口流动频繁',
        setBy: '管理员甲',
      },
    ]);
  });

  it('removes an override, and says so when there is none', async () => {
    await removeRetentionOverride(database.db, 'BA', '320000');
    const entry = (await retentionSchedule(database.db)).find((row) => row.category === 'BA');
    expect(entry?.overrides.map((rule) => rule.regionCode)).toEqual(['320115']);
    for (const [category, region] of [
      ['BA', '320000'],
      ['BA', '440305'],
      ['NOPE', '320115'],
    ] as const) {
      const error = await removeRetentionOverride(database.db, category, region).catch(
        (caught: unknown) => caught,
      );
      expect(isYidangError(error) && error.code).toBe('OVERRIDE_NOT_FOUND');
      expect(isYidangError(error) && error.kind).toBe('not_found');
    }
  });
});
