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
import { clusterPoints, silhouette, standardise } from './group.cluster.js';
import { findGroups } from './group.service.js';

// Three planted groups in 320115 over 2026: 200 ordinary people (two outpatient visits at one
// institution), 30 frequent visitors (40 visits over six institutions) and 20 inpatients with costly
// stays. The clustering must find them apart, the same way twice, and show members only masked.

let database: TestDatabase;
const db = () => database.db;
const YEAR = { from: '2026-01-01', to: '2026-12-31' };
const planted: Record<'ordinary' | 'frequent' | 'inpatient', PlantedPerson[]> = {
  ordinary: [],
  frequent: [],
  inpatient: [],
};

function world() {
  const people: Array<PlantedPerson & { region: string }> = [];
  const settlements: PlantedSettlement[] = [];
  let seq = 0;
  const person = (group: keyof typeof planted, region = '320115') => {
    const made = { ...plantedPerson(region, seq++), region };
    people.push(made);
    if (region === '320115') planted[group].push(made);
    return made;
  };
  const visit = (row: Omit<PlantedSettlement, 'serial'>) =>
    settlements.push({ ...row, serial: `GR${String(settlements.length).padStart(8, '0')}` });
  const outpatient = (who: PlantedPerson, region: string, institution: string, day: string, total: number) =>
    visit({
      personKey: who.key,
      region,
      institution,
      level: '二级',
      type: '门诊',
      admit: day,
      total,
      fundShare: 0.6,
    });
  for (let i = 0; i < 200; i++) {
    const who = person('ordinary');
    for (let j = 0; j < 2; j++)
      outpatient(who, '320115', `C${i % 8}`, addDays('2026-02-01', i + j * 90), 180 + (i % 7) * 15);
  }
  for (let i = 0; i < 30; i++) {
    const who = person('frequent');
    for (let j = 0; j < 40; j++)
      outpatient(who, '320115', `C${j % 6}`, addDays('2026-01-03', j * 8 + (i % 5)), 220 + (j % 4) * 10);
  }
  for (let i = 0; i < 20; i++) {
    const who = person('inpatient');
    for (let j = 0; j < 3; j++) {
      const admit = addDays('2026-02-10', j * 100 + i);
      visit({
        personKey: who.key,
        region: '320115',
        institution: `C${i % 2}`,
        level: '三级',
        type: '住院',
        admit,
        discharge: addDays(admit, 9),
        total: 30_000 + i * 100,
        fundShare: 0.85,
      });
    }
  }
  // Another region's people: never seen by a 320115 supervisor.
  for (let i = 0; i < 40; i++)
    outpatient(person('ordinary', '320106'), '320106', 'Z1', addDays('2026-03-01', i), 500);
  return { people, settlements };
}

async function account(username: string, roles: Role[], scope: ScopeRow[]): Promise<AccessContext> {
  if (!(await findUserByName(db(), username)))
    await createUser(db(), { username, password: 'Archive-Test-Passw0rd!', roles, scope }, 'test');
  const row = await findUserByName(db(), username);
  return accessContextOf(db(), (await loadPrincipal(db(), row?.id as number, 'session')) as never);
}

beforeAll(async () => {
  database = await openTestDatabase();
  const { people, settlements } = world();
  await addPeople(db(), people);
  await addSettlements(db(), settlements);
});
afterAll(async () => database?.close());

const masked = (who: PlantedPerson) => `${who.idNumber.slice(0, 6)}********${who.idNumber.slice(-4)}`;

describe('高风险群体', () => {
  it('separates the planted groups and tells each in words and counts', async () => {
    const supervisor = await account(
      'groups-jn',
      ['supervisor'],
      [{ fondsCode: null, regionCode: '320115', categoryCode: null }],
    );
    const report = await findGroups(db(), supervisor, { ...YEAR, members: 500 });
    expect(report.persons).toBe(250);
    expect(report.clustered).toBe(true);
    expect(report.k).toBe(3);
    expect(report.tried.map((entry) => entry.k)).toEqual([2, 3, 4, 5, 6]);
    expect(report.features.map((feature) => feature.name)).toEqual([
      '年就诊次数',
      '次均费用',
      '基金支付占比',
      '就诊机构数',
      '住院占比',
      '年总费用',
    ]);
    const holding = (who: PlantedPerson) =>
      report.clusters.find((cluster) => cluster.members.includes(masked(who)));
    for (const group of Object.values(planted)) {
      const cluster = holding(group[0] as PlantedPerson);
      expect(cluster?.size).toBe(group.length);
      for (const who of group) expect(holding(who)).toBe(cluster);
    }
    const frequent = holding(planted.frequent[0] as PlantedPerson);
    expect(frequent?.risk).toBe('高风险');
    expect(frequent?.label).toContain('高频就诊');
    expect(frequent?.label).toContain('多机构就诊');
    expect(frequent?.description).toMatch(
      /^[^：]+：30 人，平均每年就诊 40\.0 次（住院占 0\.0%），次均费用 235\.00 元，/,
    );
    expect(frequent?.description).toContain('平均在 6.0 家机构就诊');
    const inpatient = holding(planted.inpatient[0] as PlantedPerson);
    expect(inpatient?.risk).toBe('高风险');
    expect(inpatient?.label).toContain('住院为主');
    const ordinary = holding(planted.ordinary[0] as PlantedPerson);
    expect(ordinary?.risk).toBe('一般');
    expect(report.clusters.map((cluster) => cluster.id)).toEqual([1, 2, 3]);
    expect(report.clusters.at(-1)).toBe(ordinary);
    const text = JSON.stringify(report);
    for (const who of Object.values(planted).flat()) {
      expect(text).not.toContain(who.idNumber);
      expect(text).not.toContain(who.key);
    }
    expect(text).not.toContain('320106');
  });

  it('gives the same clusters twice (fixed seed, ordered rows)', async () => {
    const first = await findGroups(db(), SYSTEM, YEAR);
    const second = await findGroups(db(), SYSTEM, YEAR);
    expect(second).toEqual(first);
    expect(first.persons).toBe(290);
    expect(first.clusters.every((cluster) => cluster.members.length <= 10)).toBe(true);
  });

  it('does not cluster a handful of people, nor people all alike, and says why', async () => {
    const few = await findGroups(db(), SYSTEM, { from: '2026-03-01', to: '2026-03-10', region: '320106' });
    expect(few).toMatchObject({ persons: 10, clustered: false, k: 0, clusters: [] });
    expect(few.note).toBe('期间内有结算的参保人 10 人，少于 30 人，不做聚类');
    const alike = await findGroups(db(), SYSTEM, { ...YEAR, region: '320106' });
    expect(alike).toMatchObject({ persons: 40, clustered: false, clusters: [] });
    expect(alike.note).toBe('期间内有结算的参保人 40 人，特征取值几乎相同，不做聚类');
    const counted = await findGroups(db(), SYSTEM, { ...YEAR, region: '320115', members: 0 });
    expect(counted.clusters.map((cluster) => cluster.size).sort((a, b) => a - b)).toEqual([20, 30, 200]);
    expect(counted.clusters.every((cluster) => cluster.members.length === 0)).toBe(true);
  });

  it('refuses bad input and callers without fund.read', async () => {
    await expect(findGroups(db(), SYSTEM, { members: 501 })).rejects.toMatchObject({
      code: 'FUND_GROUP_INVALID',
      message: '每群列出的成员数（members）应为 0 至 500 之间的整数：“501”',
    });
    await expect(findGroups(db(), SYSTEM, { from: 'yesterday' })).rejects.toMatchObject({
      code: 'FUND_GROUP_INVALID',
    });
    const archivist = await account(
      'groups-archivist',
      ['archivist'],
      [{ fondsCode: null, regionCode: null, categoryCode: null }],
    );
    await expect(findGroups(db(), archivist, YEAR)).rejects.toMatchObject({ kind: 'forbidden' });
  });
});

describe('the clustering itself', () => {
  it('standardises, prefers the k of the best silhouette and is deterministic', () => {
    const rows = [
      ...Array.from({ length: 50 }, (_, i) => [1 + (i % 5) * 0.01, 10]),
      ...Array.from({ length: 50 }, (_, i) => [5 + (i % 5) * 0.01, 10]),
    ];
    const { points, sd } = standardise(rows);
    expect(sd[1]).toBe(0);
    expect(points.every((point) => point[1] === 0)).toBe(true);
    const result = clusterPoints(points);
    expect(result.k).toBe(2);
    expect(clusterPoints(points)).toEqual(result);
    expect(silhouette([[0], [0.1], [5], [5.1]], [0, 0, 1, 1], 2)).toBeGreaterThan(0.9);
    expect(silhouette([[0], [0.1], [5], [5.1]], [0, 1, 0, 1], 2)).toBeLessThan(0);
  });
});
