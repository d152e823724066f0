import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { ageAt } from './fund-person.js';
import type { RuleCode } from './generate.inject.js';

// The twelve rules as issue 27's plan states them, written plainly in JavaScript over every
// settlement in the database: the generator's own check that its background triggers nothing and
// each injected violation triggers its rule. For tests and small runs only (it reads everything).

export const CHRONIC_DX =
  'E10 E11 E13 E14 I10 I11 I12 I13 I20 I25 I50 I63 I69 J44 J45 N18 F20 F31 G20 G40 M05 K74 B18 C'.split(' ');
const PLANNED = ['Z51', 'Z49'];

interface S {
  id: number;
  serial: string;
  person: string;
  institution: string;
  visit: string;
  admit: string;
  discharge: string;
  dx: string;
  otherDx: string[];
}
interface L {
  sid: number;
  code: string;
  category: string;
  quantity: number;
  supply: number | null;
  date: string;
}

const days = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;
const addDays = (date: string, n: number) =>
  new Date(Date.parse(date) + n * 86_400_000).toISOString().slice(0, 10);

/** For each rule, the distinct sets of serials its hits involve (each set sorted, joined by a space). */
export async function checkRules(db: Db): Promise<Map<RuleCode, Set<string>>> {
  const settlements = (
    await sql<S>`select id, serial, person_key as person, institution_code as institution, visit_type as visit,
      admit_date as admit, discharge_date as discharge, primary_dx as dx, other_dx as "otherDx" from fund_settlement`.execute(
      db,
    )
  ).rows.map((row) => ({ ...row, id: Number(row.id) }));
  const lines = (
    await sql<L>`select settlement_id as sid, item_code as code, item_category as category, quantity::float8 as quantity,
      days_supply as supply, line_date as date from fund_settlement_line order by settlement_id, line_no`.execute(
      db,
    )
  ).rows.map((row) => ({ ...row, sid: Number(row.sid), quantity: Number(row.quantity) }));
  const items = new Map(
    (
      await sql<{
        code: string;
        sex: string | null;
        min: number | null;
        max: number | null;
        perDay: boolean;
        dx: string[];
        includes: string[];
        parts: string[];
      }>`select code, sex_limit as sex, age_min as min, age_max as max, per_day as "perDay", permitted_dx as dx, includes, parts from fund_item`.execute(
        db,
      )
    ).rows.map((row) => [row.code, row]),
  );
  const persons = new Map(
    (
      await sql<{ key: string; sex: string; birth: string; death: string | null }>`
        select person_key as key, sex, birth_date as birth, death_date as death from fund_person`.execute(db)
    ).rows.map((row) => [row.key, row]),
  );
  const byId = new Map(settlements.map((row) => [row.id, row]));
  const linesOf = new Map<number, L[]>();
  for (const line of lines) linesOf.set(line.sid, [...(linesOf.get(line.sid) ?? []), line]);
  const hits = new Map<RuleCode, Set<string>>();
  const hit = (rule: RuleCode, ...ids: number[]) => {
    const set = hits.get(rule) ?? new Set<string>();
    set.add([...new Set(ids.map((id) => byId.get(id)?.serial as string))].sort().join(' '));
    hits.set(rule, set);
  };

  // 重复结算
  const seen = new Map<string, Set<number>>();
  for (const line of lines) {
    const key = `${byId.get(line.sid)?.person}|${line.code}|${line.date}`;
    seen.set(key, (seen.get(key) ?? new Set()).add(line.sid));
  }
  for (const ids of seen.values()) if (ids.size > 1) hit('repeat_settlement', ...ids);

  // 同时住院, 分解住院 over each person's stays
  const stays = new Map<string, S[]>();
  for (const row of settlements)
    if (row.visit === '住院') stays.set(row.person, [...(stays.get(row.person) ?? []), row]);
  for (const list of stays.values()) {
    list.sort((a, b) => a.admit.localeCompare(b.admit) || a.id - b.id);
    for (const a of list)
      for (const b of list)
        if (a.id < b.id && a.institution !== b.institution && a.admit < b.discharge && b.admit < a.discharge)
          hit('concurrent_stay', a.id, b.id);
    const byInstitution = new Map<string, S[]>();
    for (const row of list)
      byInstitution.set(row.institution, [...(byInstitution.get(row.institution) ?? []), row]);
    for (const same of byInstitution.values())
      for (let i = 1; i < same.length; i++) {
        const a = same[i - 1] as S;
        const b = same[i] as S;
        const gap = days(a.discharge, b.admit);
        const planned = [a.dx, b.dx].some((dx) => PLANNED.some((prefix) => dx.startsWith(prefix)));
        if (gap >= 0 && gap <= 15 && a.dx.slice(0, 3) === b.dx.slice(0, 3) && !planned)
          hit('split_admission', a.id, b.id);
      }
  }

  for (const row of settlements) {
    const own = linesOf.get(row.id) ?? [];
    const stay = days(row.admit, row.discharge);
    const person = persons.get(row.person);
    if (row.visit === '住院') {
      // 挂床住院
      if (stay === 0 && own.some((line) => line.category === '床位')) hit('phantom_bed', row.id);
      const active = new Set(
        own.filter((line) => line.category === '药品' || line.category === '诊疗').map((line) => line.date),
      );
      if (stay >= 3 && active.size < 0.3 * stay) hit('phantom_bed', row.id);
      // 超标准收费
      const perDay = new Map<string, number>();
      for (const line of own)
        if (items.get(line.code)?.perDay) perDay.set(line.code, (perDay.get(line.code) ?? 0) + line.quantity);
      for (const sum of perDay.values()) if (sum > Math.max(stay, 1)) hit('over_standard', row.id);
    }
    // 重复收费, 分解收费 per day
    const byDate = new Map<string, Set<string>>();
    for (const line of own) byDate.set(line.date, (byDate.get(line.date) ?? new Set()).add(line.code));
    for (const codes of byDate.values())
      for (const code of codes) {
        const item = items.get(code);
        if (item?.includes.some((included) => codes.has(included))) hit('double_charge', row.id);
      }
    for (const item of items.values()) {
      if (item.parts.length === 0) continue;
      for (const codes of byDate.values())
        if (!codes.has(item.code) && item.parts.filter((part) => codes.has(part)).length >= 2)
          hit('unbundling', row.id);
    }
    // 性别不符, 年龄不符, 限定支付范围, 死亡后就医
    for (const line of own) {
      const item = items.get(line.code);
      if (!item || !person) continue;
      if (item.sex && item.sex !== person.sex) hit('sex_mismatch', row.id);
      const age = ageAt(person.birth, line.date);
      if ((item.min !== null && age < item.min) || (item.max !== null && age > item.max))
        hit('age_mismatch', row.id);
      const dx = [row.dx, ...row.otherDx];
      if (
        line.category === '药品' &&
        item.dx.length > 0 &&
        !item.dx.some((p) => dx.some((code) => code.startsWith(p)))
      )
        hit('restricted_dx', row.id);
    }
    if (
      person?.death &&
      (row.admit > person.death || own.some((line) => line.date > (person.death as string)))
    )
      hit('after_death', row.id);
  }

  // 超量开药: chains per person and drug
  const prescriptions = new Map<string, L[]>();
  for (const line of lines) {
    if (line.category !== '药品' || line.supply === null) continue;
    const key = `${byId.get(line.sid)?.person}|${line.code}`;
    prescriptions.set(key, [...(prescriptions.get(key) ?? []), line]);
  }
  for (const list of prescriptions.values()) {
    list.sort((a, b) => a.date.localeCompare(b.date) || a.sid - b.sid);
    let chain: L[] = [];
    const close = () => {
      if (chain.length === 0) return;
      const chronic = chain.some((line) =>
        CHRONIC_DX.some((p) => (byId.get(line.sid)?.dx ?? '').startsWith(p)),
      );
      const total = chain.reduce((sum, line) => sum + (line.supply ?? 0), 0);
      if (total > (chronic ? 30 : 7)) hit('over_supply', ...chain.map((line) => line.sid));
    };
    for (const line of list) {
      const prev = chain.at(-1);
      if (prev && line.date < addDays(prev.date, prev.supply ?? 0)) chain.push(line);
      else {
        close();
        chain = [line];
      }
    }
    close();
  }
  return hits;
}
