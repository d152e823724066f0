import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import '../../../test/helpers/field-key.js';
import { scopedAccess } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, wrongCheckId } from '../../../test/helpers/fixtures.js';
import { personId } from '../../../test/helpers/settlement-extract.js';
import { type ItemScopeRow, type PrincipalContext, systemContext } from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { maskIdNumber } from '../catalog/id-number.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { type PushedSettlement, pushSettlements } from './settlement.push.js';
import { archivesOfSettlements, listSettlements, readSettlement } from './settlement.service.js';

// Reading settlements within the caller's regions (another region's settlement is not found), with
// the person masked, and pushing batches: the same checks as an extract, idempotent by serial.

const SYSTEM = systemContext('fixture', 'test');
let database: TestDatabase;
const db = () => database.db;

function principal(rows: ItemScopeRow[], permissions = ['fund.read', 'fund.import']): PrincipalContext {
  return {
    ...scopedAccess({ rows, idNumber: null }, 'supervisor-1'),
    permissions: new Set(permissions),
    authorize: (permission) => {
      if (!permissions.includes(permission))
        throw new YidangError('FORBIDDEN', 'forbidden', '无权进行此操作');
    },
  };
}
const JIANGNING = principal([{ fondsCode: null, regionPrefix: '320115', categoryIds: null }]);
const LIUHE = principal([{ fondsCode: null, regionPrefix: '320116', categoryIds: null }]);
const FONDS_ONLY = principal([{ fondsCode: 'J013', regionPrefix: null, categoryIds: null }]);
const NO_FUND = principal([{ fondsCode: null, regionPrefix: null, categoryIds: null }], ['item.read']);

function pushed(serial: string, overrides: Partial<PushedSettlement> = {}): PushedSettlement {
  return {
    serial,
    idNumber: personId('32011519650505011'),
    region: '320115',
    institutionCode: 'H32011500002',
    institutionName: '南京市江宁区中医院',
    institutionLevel: '二级',
    visitType: '门诊',
    admitDate: '2025-06-02',
    primaryDx: 'I10.x00',
    totalCost: '52.00',
    fundPaid: '31.20',
    selfPaid: '20.80',
    settledOn: '2025-06-02',
    lines: [
      { itemCode: '110100001000000', quantity: 1, unitPrice: 10, amount: 10, lineDate: '2025-06-02' },
      {
        itemCode: 'XC08CAA005',
        quantity: 30,
        unitPrice: 0.6,
        amount: 18,
        daysSupply: 30,
        lineDate: '2025-06-02',
      },
      { itemCode: '310701001000000', quantity: 1, unitPrice: 25, amount: 25, lineDate: '2025-06-02' },
    ].map((line, index) => (index === 2 ? { ...line, amount: 24 } : line)),
    ...overrides,
  };
}

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
}, 60_000);
afterAll(() => database?.close());

describe('pushSettlements', () => {
  it('checks a batch as an extract is checked, writes the good settlements, and is idempotent by serial', async () => {
    const good = pushed('P001', {
      totalCost: '53.00',
      fundPaid: '31.80',
      selfPaid: '21.20',
      lines: pushed('x').lines.map((line, index) => (index === 2 ? { ...line, amount: 25 } : line)),
    });
    const first = await pushSettlements(db(), JIANGNING, [good, pushed('P002')]);
    expect(first).toMatchObject({ format: 'json', settlements: 2, imported: 1, refused: 1 });
    expect(first.refusedRows.filter((row) => row.serial === 'P002').map((row) => row.code)).toEqual([
      'sibling',
      'sibling',
      'amount',
    ]);
    const again = await pushSettlements(db(), JIANGNING, [good]);
    expect(again).toMatchObject({ imported: 0, skipped: 1, refused: 0 });
    const changed = await pushSettlements(db(), JIANGNING, [{ ...good, primaryDx: 'I11.900' }]);
    expect(changed).toMatchObject({ imported: 0, skipped: 0, refused: 1 });
    expect(changed.refusedRows[0]).toMatchObject({ code: 'conflict' });
    const stored = await sql<{
      n: number;
    }>`select count(*)::int as n from fund_settlement where serial = 'P001'`.execute(db());
    expect(stored.rows[0]?.n).toBe(1);
  });

  it('refuses settlements of a region outside the caller, empty or oversized batches, and callers without fund.import', async () => {
    const outside = await pushSettlements(db(), LIUHE, [
      pushed('P010', {
        lines: pushed('x').lines.slice(0, 2),
        totalCost: '28.00',
        fundPaid: '16.80',
        selfPaid: '11.20',
      }),
    ]);
    expect(outside).toMatchObject({ imported: 0, refused: 1 });
    expect(outside.refusedRows[0]).toMatchObject({ code: 'scope' });
    await expect(pushSettlements(db(), JIANGNING, [])).rejects.toMatchObject({ code: 'FUND_PUSH_INVALID' });
    await expect(
      pushSettlements(
        db(),
        JIANGNING,
        Array.from({ length: 1001 }, (_, index) => pushed(`Q${index}`)),
      ),
    ).rejects.toMatchObject({
      code: 'FUND_PUSH_INVALID',
    });
    await expect(pushSettlements(db(), principal([], ['fund.read']), [pushed('P011')])).rejects.toMatchObject(
      { code: 'FORBIDDEN' },
    );
  });
});

describe('reading settlements', () => {
  beforeAll(async () => {
    await pushSettlements(db(), SYSTEM, [
      {
        ...pushed('L001', { region: '320116', idNumber: personId('32011619700101021') }),
        totalCost: '53.00',
        fundPaid: '31.80',
        selfPaid: '21.20',
        lines: pushed('x').lines.map((line, index) => (index === 2 ? { ...line, amount: 25 } : line)),
      },
    ]);
    // An archive item filed for P001 (a 个人零星报销 with its 结算流水号).
    await fileItems(
      db(),
      [reimbursement({ extra: { hospital: '江宁医院', settlementSerial: 'P001' } })],
      'test',
      {
        access: SYSTEM,
      },
    );
  });

  it('lists only the caller’s regions, masks the person, and pages by cursor', async () => {
    const mine = await listSettlements(db(), JIANGNING, {});
    expect(mine.settlements.map((row) => row.serial)).toEqual(['P001']);
    expect(mine.settlements[0]?.person).toEqual({
      idNumber: maskIdNumber(personId('32011519650505011')),
      key: expect.stringMatching(/^[0-9a-f]{8}$/),
      sex: '男',
      ageAtAdmission: 60,
    });
    expect(JSON.stringify(mine)).not.toContain(personId('32011519650505011'));
    expect((await listSettlements(db(), LIUHE, {})).settlements.map((row) => row.serial)).toEqual(['L001']);
    // A scope of one fonds reaches that fonds' own region (J013: 320115).
    expect((await listSettlements(db(), FONDS_ONLY, {})).settlements.map((row) => row.serial)).toEqual([
      'P001',
    ]);
    const all = await listSettlements(db(), SYSTEM, { limit: 1 });
    expect(all.settlements).toHaveLength(1);
    expect(all.nextCursor).not.toBeNull();
    const next = await listSettlements(db(), SYSTEM, { limit: 1, cursor: all.nextCursor as string });
    expect(next.settlements[0]?.serial).not.toBe(all.settlements[0]?.serial);
  });

  it('filters by person (ID number through the blind index), region, institution, period and visit type', async () => {
    const byPerson = await listSettlements(db(), SYSTEM, { idNumber: personId('32011619700101021') });
    expect(byPerson.settlements.map((row) => row.serial)).toEqual(['L001']);
    expect((await listSettlements(db(), SYSTEM, { region: '320116' })).settlements).toHaveLength(1);
    expect(
      (
        await listSettlements(db(), SYSTEM, {
          institution: 'H32011500002',
          from: '2025-06-01',
          to: '2025-06-30',
          visitType: '门诊',
        })
      ).settlements,
    ).toHaveLength(2);
    expect((await listSettlements(db(), SYSTEM, { visitType: '住院' })).settlements).toHaveLength(0);
    expect((await listSettlements(db(), SYSTEM, { to: '2025-05-31' })).settlements).toHaveLength(0);
    await expect(
      listSettlements(db(), SYSTEM, { idNumber: wrongCheckId('32011519650505011') }),
    ).rejects.toMatchObject({
      code: 'ID_NUMBER_INVALID',
    });
    await expect(listSettlements(db(), SYSTEM, { region: 'abc' })).rejects.toMatchObject({
      code: 'FUND_FILTER_INVALID',
    });
    await expect(listSettlements(db(), SYSTEM, { from: '2025-13-01' })).rejects.toMatchObject({
      code: 'FUND_FILTER_INVALID',
    });
    await expect(listSettlements(db(), SYSTEM, { visitType: '急诊' })).rejects.toMatchObject({
      code: 'FUND_FILTER_INVALID',
    });
    await expect(listSettlements(db(), NO_FUND, {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('shows one settlement with its lines and linked archives; another region’s is not found', async () => {
    const detail = await readSettlement(db(), JIANGNING, 'P001');
    expect(detail.lines.map((line) => line.itemCode)).toEqual([
      '110100001000000',
      'XC08CAA005',
      '310701001000000',
    ]);
    expect(detail.archives).toHaveLength(1);
    expect(detail.archives[0]).toMatchObject({ serial: 'P001', category: 'JSLX', fonds: 'J013' });
    expect(detail.archives[0]?.archiveCode).toMatch(/^J013-/);
    await expect(readSettlement(db(), LIUHE, 'P001')).rejects.toMatchObject({
      code: 'FUND_SETTLEMENT_NOT_FOUND',
    });
    await expect(readSettlement(db(), JIANGNING, 'NOPE')).rejects.toMatchObject({
      code: 'FUND_SETTLEMENT_NOT_FOUND',
    });
    // An ID number typed as a serial is not echoed.
    const error = await readSettlement(db(), JIANGNING, personId()).then(
      () => new Error('found'),
      (caught: Error) => caught,
    );
    expect(error.message).not.toContain(personId());
  });

  it('archivesOfSettlements: only settlements in the caller’s regions, items through catalog’s scope', async () => {
    expect((await archivesOfSettlements(db(), JIANGNING, ['P001', 'L001'])).map((row) => row.serial)).toEqual(
      ['P001'],
    );
    expect(await archivesOfSettlements(db(), LIUHE, ['P001'])).toEqual([]);
    // A caller reaching the region but not the fonds' items sees the settlement, not the archive.
    const otherFonds = principal([{ fondsCode: 'J099', regionPrefix: '320115', categoryIds: null }]);
    expect(await archivesOfSettlements(db(), otherFonds, ['P001'])).toEqual([]);
    const masked = await archivesOfSettlements(db(), JIANGNING, ['P001']);
    expect(JSON.stringify(masked)).not.toContain(personId());
  });
});
