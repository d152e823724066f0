import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import {
  addDays,
  addPeople,
  addSettlements,
  type PlantedPerson,
  type PlantedSettlement,
  plantedPerson,
} from '../../../test/helpers/fund-anomaly.js';
import type { AccessContext } from '../../shared/access-context.js';
import { findUserByName, type ScopeRow } from '../access/access.repo.js';
import { accessContextOf, loadPrincipal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { createUser } from '../access/user.service.js';
import { findAnomalies } from './anomaly.service.js';
import { median } from './anomaly.stats.js';

// Settlements whose anomalies are known: in 320115 ten 二级 institutions, one (H10) at five times its
// peers' cost per visit, one (H09) readmitting most of its patients within 30 days, one (H08) billing
// mostly high-priced items, one (H07) with three times the visits; two 一级 institutions (too few to
// score); in 320106 six 二级 institutions, one ten times the others. A heavy user among the people.

let database: TestDatabase;
const db = () => database.db;
const PERIOD = { from: '2026-01-01', to: '2026-06-30' };
const costs = new Map<string, number[]>();
let heavy: PlantedPerson;
const ids: string[] = [];

function world(): { people: Array<PlantedPerson & { region: string }>; settlements: PlantedSettlement[] } {
  const people: Array<PlantedPerson & { region: string }> = [];
  const settlements: PlantedSettlement[] = [];
  let seq = 0;
  const person = (region: string) => {
    const planted = { ...plantedPerson(region, seq++), region };
    people.push(planted);
    ids.push(planted.idNumber);
    return planted;
  };
  const visit = (row: Omit<PlantedSettlement, 'serial'>) => {
    settlements.push({ ...row, serial: `JS${String(settlements.length).padStart(8, '0')}` });
    costs.set(row.institution, [...(costs.get(row.institution) ?? []), row.total]);
  };
  const institutions = (
    region: string,
    level: '一级' | '二级',
    prefix: string,
    count: number,
    base: (i: number) => number,
  ) => {
    for (let i = 1; i <= count; i++) {
      const code = `${prefix}${String(i).padStart(2, '0')}`;
      const visits = prefix === 'H' && i === 7 ? 30 : 10;
      for (let j = 0; j < visits; j++)
        visit({
          personKey: person(region).key,
          region,
          institution: code,
          level,
          type: '门诊',
          admit: addDays('2026-02-01', j * 3 + i),
          total: base(i) + (j % 5) * 4,
          highShare: prefix === 'H' && i === 8 ? 0.7 : 0.1,
        });
      if (level !== '二级' || region !== '320115') continue;
      // Five stays each; at H09 four of them are followed by a readmission 10 days after discharge.
      for (let j = 0; j < 5; j++) {
        const patient = person(region);
        const admit = addDays('2026-03-01', j * 7 + i);
        visit({
          personKey: patient.key,
          region,
          institution: code,
          level,
          type: '住院',
          admit,
          discharge: addDays(admit, 4),
          total: 8000 + i * 50,
          highShare: i === 8 ? 0.7 : 0.1,
        });
        if (i === 9 && j < 4) {
          const again = addDays(admit, 14);
          visit({
            personKey: patient.key,
            region,
            institution: code,
            level,
            type: '住院',
            admit: again,
            discharge: addDays(again, 3),
            total: 8000 + i * 50,
          });
        }
      }
    }
  };
  institutions('320115', '二级', 'H', 10, (i) => (i === 10 ? 5000 : 1000 + i * 10));
  institutions('320115', '一级', 'L', 2, (i) => (i === 2 ? 9000 : 300));
  institutions('320106', '二级', 'X', 6, (i) => (i === 6 ? 12_000 : 1200 + i * 10));
  // A heavy user: 25 outpatient visits at H01..H05 in the period.
  heavy = person('320115');
  for (let j = 0; j < 25; j++)
    visit({
      personKey: heavy.key,
      region: '320115',
      institution: `H0${1 + (j % 5)}`,
      level: '二级',
      type: '门诊',
      admit: addDays('2026-01-05', j * 6),
      total: 1000,
    });
  // A settlement outside the period is not read.
  visit({
    personKey: heavy.key,
    region: '320115',
    institution: 'H01',
    level: '二级',
    type: '门诊',
    admit: '2025-12-20',
    total: 90_000,
  });
  return { people, settlements };
}

async function account(username: string, roles: Role[], scope: ScopeRow[]): Promise<AccessContext> {
  if (!(await findUserByName(db(), username)))
    await createUser(db(), { username, password: 'Archive-Test-Passw0rd!', roles, scope }, 'test');
  const row = await findUserByName(db(), username);
  return accessContextOf(db(), (await loadPrincipal(db(), row?.id as number, 'session')) as never);
}
const everywhere: ScopeRow[] = [{ fondsCode: null, regionCode: null, categoryCode: null }];
const jiangning: ScopeRow[] = [{ fondsCode: null, regionCode: '320115', categoryCode: null }];

beforeAll(async () => {
  database = await openTestDatabase();
  const { people, settlements } = world();
  await addPeople(db(), people);
  await addSettlements(db(), settlements);
});
afterAll(async () => database?.close());

describe('anomalies of institutions against their peers', () => {
  it('flags the institution at five times its peers with the explanation in words, not the one within them', async () => {
    const report = await findAnomalies(db(), SYSTEM, { ...PERIOD, measure: 'cost_per_visit' });
    const h10 = report.flags.find((flag) => flag.subject === 'H10');
    expect(h10).toBeDefined();
    // The peer median computed here from the planted costs (the heavy user's visits count at H01..H05).
    const perVisit = (code: string) => {
      const values = costs.get(code) as number[];
      return (
        values.reduce((sum, value) => sum + value, 0) / values.length -
        (code === 'H01' ? 90_000 / values.length : 0)
      );
    };
    const peerValues = Array.from({ length: 10 }, (_, i) => {
      const code = `H${String(i + 1).padStart(2, '0')}`;
      const values = (costs.get(code) as number[]).filter((value) => value !== 90_000);
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    });
    expect(perVisit('H03')).toBeGreaterThan(0);
    const expectedMedian = median(peerValues);
    expect(h10?.peerMedian).toBeCloseTo(expectedMedian, 4);
    expect(h10?.peers).toBe(10);
    expect(h10?.score).toBeGreaterThanOrEqual(3.5);
    const medianText = expectedMedian.toLocaleString('en-US', {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    expect(h10?.explanation).toMatch(
      new RegExp(
        `^次均费用 \\d,\\d{3}\\.\\d{2} 元，同级（二级）同统筹区 10 家机构中位数 ${medianText.replace('.', '\\.')} 元，高出 \\d+\\.\\d 个稳健标准差$`,
      ),
    );
    expect(report.flags.some((flag) => flag.subject === 'H03')).toBe(false);
    // The chart's peer group: every member of H10's group, H10 marked.
    const group = report.peerGroups.find(
      (entry) => entry.measure === 'cost_per_visit' && entry.level === '二级' && entry.region === '320115',
    );
    expect(group?.members).toHaveLength(10);
    expect(group?.members.filter((member) => member.flagged).map((member) => member.subject)).toEqual([
      'H10',
    ]);
    // 320106's outlier among its own six.
    expect(report.flags.find((flag) => flag.subject === 'X06')?.explanation).toContain(
      '同级（二级）同统筹区 6 家机构',
    );
  });

  it('does not score a level with two peers, and says so', async () => {
    const report = await findAnomalies(db(), SYSTEM, { ...PERIOD, measure: 'cost_per_visit' });
    expect(report.flags.some((flag) => flag.subject.startsWith('L'))).toBe(false);
    expect(report.unscored).toContainEqual({
      measure: 'cost_per_visit',
      measureName: '次均费用',
      level: '一级',
      region: '320115',
      peers: 2,
      reason: '同级（一级）同统筹区 2 家机构，少于 5 家，不评分',
    });
    // The smallest group size accepted is 3, so a pair is never scored whatever is asked.
    const three = await findAnomalies(db(), SYSTEM, { ...PERIOD, measure: 'cost_per_visit', minPeers: 3 });
    expect(three.unscored.find((entry) => entry.level === '一级')?.reason).toContain('少于 3 家');
  });
});

describe('anomalies of people', () => {
  it('flags the heavy user by a masked ID number, never the number itself', async () => {
    const report = await findAnomalies(db(), SYSTEM, {
      ...PERIOD,
      kind: 'person',
      measure: 'visits_per_month',
      minVolume: 1,
    });
    const heavyFlag = report.flags.find((flag) => flag.volume === 25);
    expect(heavyFlag?.subject).toBe(`${heavy.idNumber.slice(0, 6)}********${heavy.idNumber.slice(-4)}`);
    expect(heavyFlag?.explanation).toMatch(
      /^每月就诊次数 4\.2 次，同统筹区 \d+ 名参保人中位数 0\.2 次，高出 \d+\.\d 个稳健标准差$/,
    );
    const text = JSON.stringify(report);
    for (const id of ids) expect(text).not.toContain(id);
    expect(text).not.toContain(heavy.key);
    expect(report.peerGroups).toEqual([]);
  });
});

describe('scope, permission and bad input', () => {
  it('reads only the caller’s regions: another region is empty, not forbidden', async () => {
    const supervisor = await account('anomaly-jn', ['supervisor'], jiangning);
    const report = await findAnomalies(db(), supervisor, { ...PERIOD, measure: 'cost_per_visit' });
    expect(report.flags.map((flag) => flag.subject)).toContain('H10');
    expect(JSON.stringify(report)).not.toMatch(/X0\d|320106/);
    const other = await findAnomalies(db(), supervisor, { ...PERIOD, region: '320106' });
    expect(other.subjects).toBe(0);
    expect(other.flags).toEqual([]);
    const city = await findAnomalies(db(), supervisor, { ...PERIOD, region: '320100' });
    expect(JSON.stringify(city)).not.toContain('X06');
    const all = await findAnomalies(db(), await account('anomaly-all', ['supervisor'], everywhere), {
      ...PERIOD,
      region: '320106',
      measure: 'cost_per_visit',
    });
    expect(all.flags.map((flag) => flag.subject)).toEqual(['X06']);
  });

  it('refuses a caller without fund.read', async () => {
    const archivist = await account('anomaly-archivist', ['archivist'], everywhere);
    await expect(findAnomalies(db(), archivist, PERIOD)).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it.each([
    [{ kind: 'hospital' }, /对象（kind）应为 institution/],
    [{ measure: 'cost' }, /指标（measure）“cost”不存在/],
    [{ from: '2026-13' }, /起始日期（from）应为日期/],
    [{ from: '2026-02-30' }, /起始日期（from）应为日期/],
    [{ from: '2026-06-01', to: '2026-01-31' }, /起始日期 2026-06-01 晚于截止日期 2026-01-31/],
    [{ from: '2010-01-01', to: '2026-01-01' }, /期间最长 5 年/],
    [{ threshold: '0.5' }, /阈值（threshold）应为 1 至 20 之间的数/],
    [{ threshold: 'abc' }, /阈值（threshold）应为/],
    [{ minPeers: 2 }, /同组最少个数（minPeers）应为 3 至 1000 之间的整数/],
    [{ minVolume: 1.5 }, /最少结算次数（minVolume）应为 1 至 100000 之间的整数/],
    [{ region: '3201' }, /统筹区（region）应为 6 位行政区划代码/],
  ])('refuses %j with a Chinese reason', async (query, message) => {
    await expect(findAnomalies(db(), SYSTEM, { ...PERIOD, ...query })).rejects.toMatchObject({
      code: 'FUND_ANOMALY_INVALID',
      message: expect.stringMatching(message),
    });
  });

  it('takes a measure by its Chinese name and a month as a period', async () => {
    const report = await findAnomalies(db(), SYSTEM, { from: '2026-01', to: '2026-06', measure: '次均费用' });
    expect(report.from).toBe('2026-01-01');
    expect(report.to).toBe('2026-06-30');
    expect(report.measures.map((measure) => measure.code)).toEqual(['cost_per_visit']);
  });
});
