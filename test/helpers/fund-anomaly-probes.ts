import { expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { idNumberIndex } from '../../src/shared/field-cipher.js';
import { addDays, addPeople, addSettlements, type PlantedSettlement, plantedPerson } from './fund-anomaly.js';
import { IN_PEOPLE, OUT_PEOPLE, type ScopeWorld } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of 异常机构与人员 and 高风险群体. The walk plants settlements in
// 江宁 (320115, the callers' fonds J013) and in 六合 (320116, J014's district, with institutions
// named after it and J014's people among the patients), each with an institution far from its peers.
// The J013 callers holding fund.read get 江宁's flags and groups, never a 六合 institution or person
// (masked or not); the others are refused; a region outside the scope answers like one that does
// not exist.

const api = (path: string) => `/api/v1${path}`;
const planted = new WeakMap<ScopeWorld, Promise<void>>();
const PERIOD = 'from=2026-01-01&to=2026-06-30';

/** 江宁 and 六合 settlements, each district with an outlying institution and its known people visiting often. */
export async function plantFundWorld(db: Db): Promise<void> {
  const people: Array<{ idNumber: string; key: string; region: string }> = [];
  const settlements: PlantedSettlement[] = [];
  const region = (code: string, place: string, known: string[]) => {
    const named = known.map((idNumber) => ({
      idNumber,
      key: idNumberIndex(idNumber) as string,
      region: code,
    }));
    const patients = [
      ...named,
      ...Array.from({ length: 60 }, (_, i) => ({ ...plantedPerson(code, 500 + i), region: code })),
    ];
    people.push(...patients);
    for (let h = 1; h <= 8; h++)
      for (let j = 0; j < 12; j++) {
        const patient = patients[(h * 12 + j) % patients.length] as { key: string };
        settlements.push({
          serial: `PR${code}${h}${String(j).padStart(3, '0')}`,
          personKey: patient.key,
          region: code,
          institution: `H${code}${h}`,
          institutionName: `${place}第${h}医院`,
          level: '二级',
          type: '门诊',
          admit: addDays('2026-02-01', j * 5 + h),
          total: h === 8 ? 6000 : 1000 + h * 10 + j,
        });
      }
    // The known people visit often (a person anomaly and a cluster of their own).
    for (const [n, person] of named.entries())
      for (let j = 0; j < 30; j++)
        settlements.push({
          serial: `PK${code}${n}${String(j).padStart(3, '0')}`,
          personKey: person.key,
          region: code,
          institution: `H${code}${1 + (j % 6)}`,
          institutionName: `${place}第${1 + (j % 6)}医院`,
          level: '二级',
          type: '门诊',
          admit: addDays('2026-01-03', j * 5),
          total: 400,
        });
  };
  region('320115', '江宁', [IN_PEOPLE.item.id, IN_PEOPLE.roster.id]);
  region(
    '320116',
    '六合',
    Object.values(OUT_PEOPLE).map((person) => person.id),
  );
  await addPeople(db, people);
  await addSettlements(db, settlements);
}

const once = (world: ScopeWorld) => {
  let promise = planted.get(world);
  if (!promise) {
    promise = plantFundWorld(world.system.database.db);
    planted.set(world, promise);
  }
  return promise;
};

const get = (path: string) => ({ method: 'GET' as const, url: api(path) });
const mayRead = (world: ScopeWorld, username: string) => username === world.reader.username;

export const FUND_ANOMALY_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/fund/anomalies': async ({ world, as, call, sameAsMissing }) => {
    await once(world);
    const institutions = await call(get(`/fund/anomalies?${PERIOD}`));
    const people = await call(
      get(`/fund/anomalies?${PERIOD}&kind=person&minVolume=1&measure=visits_per_month`),
    );
    await call(get(`/fund/anomalies?${PERIOD}&region=320100`));
    await sameAsMissing(
      { ...get(`/fund/anomalies?${PERIOD}&region=320116`), id: '320116' },
      { ...get(`/fund/anomalies?${PERIOD}&region=320199`), id: '320199' },
    );
    if (mayRead(world, as.username)) {
      // The walk is not vacuous: the reader (a manager, fund.read) sees 江宁's outlier and its people masked.
      expect(institutions.statusCode).toBe(200);
      expect(institutions.body).toContain('江宁第8医院');
      expect(people.json().flags.map((flag: { subject: string }) => flag.subject)).toContain(
        `${IN_PEOPLE.item.id.slice(0, 6)}********${IN_PEOPLE.item.id.slice(-4)}`,
      );
      expect(`${institutions.body}${people.body}`).not.toContain('320116');
    } else expect(institutions.statusCode).toBe(403);
  },
  'GET /api/v1/fund/groups': async ({ world, as, call, sameAsMissing }) => {
    await once(world);
    const groups = await call(get(`/fund/groups?${PERIOD}&members=500`));
    await sameAsMissing(
      { ...get(`/fund/groups?${PERIOD}&region=320116`), id: '320116' },
      { ...get(`/fund/groups?${PERIOD}&region=320199`), id: '320199' },
    );
    if (mayRead(world, as.username)) {
      expect(groups.statusCode).toBe(200);
      expect(groups.json().clustered).toBe(true);
      expect(groups.body).toContain(`${IN_PEOPLE.item.id.slice(0, 6)}********${IN_PEOPLE.item.id.slice(-4)}`);
      expect(groups.body).not.toContain('320116');
    } else expect(groups.statusCode).toBe(403);
  },
};
