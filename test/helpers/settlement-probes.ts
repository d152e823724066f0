import { expect } from 'vitest';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { type PushedSettlement, pushSettlements } from '../../src/modules/fund/settlement.push.js';
import { systemContext } from '../../src/shared/access-context.js';
import { reimbursement } from './fixtures.js';
import { code, IN_PEOPLE, OUT_PEOPLE, type ScopeWorld } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of 结算数据. The walk pushes one settlement in 江宁 (320115, the callers'
// fonds J013) for an in-scope person and one in 六合 (320116, J014's district) for an outside person,
// and files an archive for the 江宁 settlement's serial in J013 and another in J014. The J013 reader
// (fund.read) lists and opens the 江宁 settlement with the person masked and only the J013 archive;
// the 六合 one answers exactly as a serial that does not exist; nobody of the three may import.

const api = (path: string) => `/api/v1${path}`;
const SYSTEM = systemContext('fixture', 'test');
const planted = new WeakMap<ScopeWorld, Promise<{ inside: string; outside: string }>>();
const IN_SERIAL = 'SMJN20260301001';
const OUT_SERIAL = 'SMLH20260301001';

/** A small 门诊 settlement (诊查费 and a 30-day drug) of one person, as the probes push it. */
export function probeSettlement(
  serial: string,
  region: string,
  idNumber: string,
  institution: string,
): PushedSettlement {
  return {
    serial,
    idNumber,
    region,
    institutionCode: `H${region}00001`,
    institutionName: institution,
    institutionLevel: '三级',
    visitType: '门诊',
    admitDate: '2026-03-01',
    primaryDx: 'E11.900',
    totalCost: '28.00',
    fundPaid: '14.00',
    selfPaid: '14.00',
    settledOn: '2026-03-01',
    lines: [
      { itemCode: '110100001000000', quantity: 1, unitPrice: 10, amount: 10, lineDate: '2026-03-01' },
      {
        itemCode: 'XA10BAM001',
        quantity: 90,
        unitPrice: 0.2,
        amount: 18,
        daysSupply: 30,
        lineDate: '2026-03-01',
      },
    ],
  };
}

async function plant(world: ScopeWorld): Promise<{ inside: string; outside: string }> {
  const db = world.system.database.db;
  await pushSettlements(db, SYSTEM, [
    probeSettlement(IN_SERIAL, '320115', IN_PEOPLE.item.id, '南京市江宁区人民医院'),
    probeSettlement(OUT_SERIAL, '320116', OUT_PEOPLE.item.id, '南京市六合区人民医院'),
  ]);
  const [inside] = await fileItems(
    db,
    [reimbursement({ extra: { hospital: '江宁医院', settlementSerial: IN_SERIAL } })],
    'test',
    { access: SYSTEM },
  );
  const [outside] = await fileItems(
    db,
    [
      reimbursement({
        fonds: 'J014',
        poolingRegion: '320116',
        idNumber: OUT_PEOPLE.item.id,
        name: OUT_PEOPLE.item.name,
        title: `${OUT_PEOPLE.item.name} 个人零星医疗费用报销审核表`,
        extra: { hospital: '六合医院', settlementSerial: IN_SERIAL },
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  return { inside: inside?.archiveCode as string, outside: outside?.archiveCode as string };
}

const once = (world: ScopeWorld) => {
  let promise = planted.get(world);
  if (!promise) {
    promise = plant(world);
    planted.set(world, promise);
  }
  return promise;
};

const get = (path: string) => ({ method: 'GET' as const, url: api(path) });
const mayRead = (world: ScopeWorld, username: string) => username === world.reader.username;
const masked = (id: string) => `${id.slice(0, 6)}********${id.slice(-4)}`;

export const SETTLEMENT_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/fund/items': async ({ world, as, call }) => {
    const items = await call(get('/fund/items?category=药品'));
    if (mayRead(world, as.username)) expect(items.json().items.length).toBeGreaterThan(10);
    else expect(items.statusCode).toBe(403);
  },
  'GET /api/v1/fund/settlements': async ({ world, as, call, sameAsMissing }) => {
    await once(world);
    const list = await call(get('/fund/settlements?limit=500'));
    await sameAsMissing(
      { ...get('/fund/settlements?region=320116'), id: '320116' },
      { ...get('/fund/settlements?region=320199'), id: '320199' },
    );
    await sameAsMissing(
      { ...get(`/fund/settlements?idNumber=${OUT_PEOPLE.item.id}`), id: OUT_PEOPLE.item.id },
      { ...get(`/fund/settlements?idNumber=${OUT_PEOPLE.sensitive.id}`), id: OUT_PEOPLE.sensitive.id },
    );
    if (mayRead(world, as.username)) {
      expect(list.statusCode).toBe(200);
      const serials = list.json().settlements.map((row: { serial: string }) => row.serial);
      expect(serials).toContain(IN_SERIAL);
      expect(serials).not.toContain(OUT_SERIAL);
      expect(list.body).toContain(masked(IN_PEOPLE.item.id));
      expect(list.body).not.toContain('320116');
      const mine = await call(get(`/fund/settlements?idNumber=${IN_PEOPLE.item.id}`));
      // Other probes plant settlements for the same people (the anomalies' world): the person's own are
      // found, none of another region.
      const own = mine.json().settlements.map((row: { serial: string }) => row.serial);
      expect(own).toContain(IN_SERIAL);
      expect(own).not.toContain(OUT_SERIAL);
      expect(mine.body).not.toContain('320116');
    } else expect(list.statusCode).toBe(403);
  },
  'GET /api/v1/fund/settlements/{serial}': async ({ world, as, call, sameAsMissing }) => {
    const archives = await once(world);
    const one = await call(get(`/fund/settlements/${IN_SERIAL}`));
    await sameAsMissing(
      { ...get(`/fund/settlements/${OUT_SERIAL}`), id: OUT_SERIAL },
      { ...get('/fund/settlements/SMLH20260301999'), id: 'SMLH20260301999' },
    );
    if (mayRead(world, as.username)) {
      expect(one.statusCode).toBe(200);
      const detail = one.json();
      expect(detail.person.idNumber).toBe(masked(IN_PEOPLE.item.id));
      expect(detail.lines).toHaveLength(2);
      // Only the J013 archive filed for the serial; the J014 one is not even named.
      expect(detail.archives.map((row: { archiveCode: string }) => row.archiveCode)).toEqual([
        archives.inside,
      ]);
      expect(one.body).not.toContain(code(archives.outside));
    } else expect(one.statusCode).toBe(403);
  },
  'POST /api/v1/fund/settlements': async ({ call }) => {
    const pushed = await call({
      method: 'POST',
      url: api('/fund/settlements'),
      body: {
        settlements: [probeSettlement('SMLH20260302001', '320116', OUT_PEOPLE.item.id, '南京市六合区中医院')],
      },
    });
    // None of the three callers imports (fund.import is the 基金监管人员's).
    expect(pushed.statusCode).toBe(403);
  },
  'POST /api/v1/fund/imports': async ({ call }) => {
    const uploaded = await call({
      method: 'POST',
      url: api('/fund/imports'),
      file: {
        name: 'extract.csv',
        content: Buffer.from(`结算流水号,身份证号\r\nX1,${OUT_PEOPLE.item.id}\r\n`),
      },
    });
    expect(uploaded.statusCode).toBe(403);
  },
  'GET /api/v1/fund/imports': async ({ call }) => {
    expect((await call(get('/fund/imports'))).statusCode).toBe(403);
  },
  'GET /api/v1/fund/imports/{id}': async ({ call }) => {
    expect((await call(get('/fund/imports/1'))).statusCode).toBe(403);
    expect((await call(get('/fund/imports/1?report=xlsx'))).statusCode).toBe(403);
  },
};
