import { ageAt } from './fund-person.js';
import {
  CHEMO,
  C,
  type InpatientScenario,
  INSTITUTIONS,
  type Institution,
  type OutpatientScenario,
  REGIONS,
  SCENARIOS,
  type Scenario,
} from './generate.catalog.js';
import {
  type CatalogItem,
  dateOf,
  type GenLine,
  type GenPerson,
  type GenSettlement,
  lineAllowed,
  type People,
  type Random,
} from './generate.model.js';

// Clean background settlements, one person's year at a time. Why no audit rule fires on them:
// - one person's settlements never share a day (each starts after the previous discharge), so no
//   重复结算 and no 同时住院;
// - two 住院 of one person are ≥ 17 days apart, except planned courses (Z51 化疗), so no 分解住院;
// - stays last ≥ 2 days with the bed, the care and (all but newborns) 住院诊查费 on every stay day:
//   no same-day bed, active share 1, and per-day items summed exactly to the stay days (挂床, 超标准);
// - a drug is prescribed again only when the last supply has run out, acute ≤ 7 days and chronic
//   (≤ 30) only with a chronic diagnosis; inpatient doses carry no days of supply (超量开药);
// - every line is checked against its item's sex, age on its day and permitted diagnoses, and on one
//   day an included item beside its includer or a second part of an unbilled bundle is dropped;
// - people who die die after their last day of care.

export interface BackgroundContext {
  random: Random;
  people: People;
  from: number;
  to: number;
  items: ReadonlyMap<string, CatalogItem>;
  guard: (lines: GenLine[]) => GenLine[];
  serial: (region: string, day: number) => string;
}

const byRegion = new Map<string, Institution[]>(
  REGIONS.map((region) => [region, INSTITUTIONS.filter((row) => row.region === region)]),
);
const CHRONIC_HOME = SCENARIOS.filter(
  (row): row is OutpatientScenario =>
    row.kind === '门诊' && row.drugs.some((drug) => drug.days[1] > 7) && row.sex === undefined,
);

/** Ages of the insured: children, working age, older people (weights roughly as in a county). */
function drawAge(random: Random): number {
  const band = random.next();
  if (band < 0.02) return 0;
  if (band < 0.15) return random.int(1, 14);
  if (band < 0.5) return random.int(15, 44);
  if (band < 0.8) return random.int(45, 64);
  return random.int(65, 90);
}

function fits(scenario: Scenario, person: GenPerson, first: number, last: number): boolean {
  if (scenario.sex && scenario.sex !== person.sex) return false;
  const [min, max] = scenario.age;
  const a = ageAt(person.birth, dateOf(first));
  const b = ageAt(person.birth, dateOf(last));
  return a >= min && b <= max && a <= max && b >= min;
}

function chooseScenario(
  random: Random,
  person: GenPerson,
  day: number,
  home: Scenario | undefined,
): Scenario | undefined {
  if (home && random.chance(0.6) && fits(home, person, day, day)) return home;
  const longest = (row: Scenario) => (row.kind === '住院' ? row.stay[1] : 0);
  const eligible = SCENARIOS.filter((row) => fits(row, person, day, day + longest(row)));
  const total = eligible.reduce((sum, row) => sum + row.weight, 0);
  let draw = random.next() * total;
  for (const row of eligible) {
    draw -= row.weight;
    if (draw < 0) return row;
  }
  return eligible.at(-1);
}

function institutionFor(random: Random, region: string, scenario: Scenario): Institution {
  const own = random.chance(0.92) ? region : random.pick(REGIONS);
  const all = byRegion.get(own) as Institution[];
  const pool = scenario.kind === '住院' ? all.filter((row) => row.level !== '一级') : all;
  return random.pick(pool);
}

/** A background person's settlements over the period (possibly none). */
export function backgroundPerson(context: BackgroundContext, budget: number): GenSettlement[] {
  const { random, people } = context;
  const region = random.pick(REGIONS);
  const person = people.aged(region, drawAge(random), context.from);
  if (random.chance(0.01) && ageAt(person.birth, dateOf(context.from)) >= 40)
    return chemoCourse(context, person);
  const chronic = CHRONIC_HOME.filter((row) => fits(row, person, context.from, context.from));
  const home = chronic.length > 0 && random.chance(0.5) ? random.pick(chronic) : undefined;
  const visits = Math.min(budget, random.int(1, 14));
  const drugEnd = new Map<string, number>();
  const out: GenSettlement[] = [];
  let cursor = context.from + random.int(0, 40);
  let lastInpatient = Number.NEGATIVE_INFINITY;
  for (let visit = 0; visit < visits; visit++) {
    const scenario = chooseScenario(random, person, cursor, home);
    if (!scenario) break;
    if (scenario.kind === '住院') cursor = Math.max(cursor, lastInpatient + 17);
    const stay = scenario.kind === '住院' ? random.int(scenario.stay[0], scenario.stay[1]) : 0;
    if (cursor + stay > context.to) break;
    if (scenario.kind === '住院' && !fits(scenario, person, cursor, cursor + stay)) break;
    const institution = institutionFor(random, region, scenario);
    const settlement: GenSettlement = {
      serial: context.serial(region, cursor + stay),
      person,
      institution,
      visit: scenario.kind,
      admit: cursor,
      discharge: cursor + stay,
      primaryDx: random.pick(scenario.dx),
      otherDx: scenario.otherDx ?? [],
      lines: [],
    };
    const lines =
      scenario.kind === '门诊'
        ? outpatientLines(random, scenario, cursor, drugEnd)
        : inpatientLines(scenario, cursor, stay);
    settlement.lines = context.guard(
      lines.filter((line) =>
        lineAllowed(context.items.get(line.code) as CatalogItem, person, settlement, line.day),
      ),
    );
    if (settlement.lines.length > 0) out.push(settlement);
    if (scenario.kind === '住院') lastInpatient = cursor + stay;
    cursor += stay + 1 + random.int(3, 45);
  }
  const last = out.at(-1);
  if (last && random.chance(0.02)) {
    const death = last.discharge + random.int(1, 120);
    if (death <= context.to) person.death = dateOf(death);
  }
  return out;
}

function outpatientLines(
  random: Random,
  scenario: OutpatientScenario,
  day: number,
  drugEnd: Map<string, number>,
): GenLine[] {
  const lines: GenLine[] = scenario.items.map((code) => ({ code, quantity: 1, day, daysSupply: null }));
  for (const code of scenario.maybe ?? [])
    if (random.chance(0.5)) lines.push({ code, quantity: 1, day, daysSupply: null });
  for (const drug of scenario.drugs) {
    if (day < (drugEnd.get(drug.code) ?? Number.NEGATIVE_INFINITY)) continue;
    const days = random.int(drug.days[0], drug.days[1]);
    lines.push({ code: drug.code, quantity: drug.perDay * days, day, daysSupply: days });
    drugEnd.set(drug.code, day + days);
  }
  return lines;
}

function inpatientLines(scenario: InpatientScenario, admit: number, stay: number): GenLine[] {
  const lines: GenLine[] = [];
  for (let day = admit; day < admit + stay; day++) {
    for (const code of [scenario.bed, scenario.care, ...scenario.daily])
      lines.push({ code, quantity: 1, day, daysSupply: null });
    for (const code of scenario.dailyDrugs) lines.push({ code, quantity: 1, day, daysSupply: null });
  }
  for (const code of scenario.onAdmission) lines.push({ code, quantity: 1, day: admit, daysSupply: null });
  for (const code of scenario.onSecondDay)
    lines.push({ code, quantity: 1, day: admit + 1, daysSupply: null });
  return lines;
}

/** 化疗 cycles every 14 days at one 三级 hospital: Z51.1 first, the cancer as other diagnosis. */
function chemoCourse(context: BackgroundContext, person: GenPerson): GenSettlement[] {
  const { random } = context;
  const cancer = random.pick(CHEMO.cancers);
  const institution = (byRegion.get(person.region) as Institution[]).find(
    (row) => row.level === '三级',
  ) as Institution;
  const cycles = random.int(2, 4);
  const out: GenSettlement[] = [];
  let admit = context.from + random.int(0, 60);
  for (let cycle = 0; cycle < cycles; cycle++) {
    const stay = random.int(2, 3);
    if (admit + stay > context.to) break;
    const lines: GenLine[] = [{ code: C.cbc, quantity: 1, day: admit, daysSupply: null }];
    for (let day = admit; day < admit + stay; day++)
      for (const code of [C.bed3, C.care2, C.visitIn, cancer.drug])
        lines.push({ code, quantity: 1, day, daysSupply: null });
    out.push({
      serial: context.serial(person.region, admit + stay),
      person,
      institution,
      visit: '住院',
      admit,
      discharge: admit + stay,
      primaryDx: CHEMO.dx,
      otherDx: [cancer.dx],
      lines,
    });
    admit += 14;
  }
  return out;
}
