import { C, INSTITUTIONS, type Institution, REGIONS } from './generate.catalog.js';
import {
  dateOf,
  type GenLine,
  type GenPerson,
  type GenSettlement,
  type People,
  type Random,
} from './generate.model.js';

// Injected violations: for each of the twelve rules, settlements of a person of their own built to
// break exactly that rule as issue 27's plan defines it, and nothing else (each construction below
// says why no other rule fires). The ground truth names the serials of every violation.

export const RULE_CODES = [
  'repeat_settlement',
  'concurrent_stay',
  'split_admission',
  'phantom_bed',
  'over_supply',
  'double_charge',
  'over_standard',
  'unbundling',
  'sex_mismatch',
  'age_mismatch',
  'restricted_dx',
  'after_death',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export interface TruthEntry {
  rule: RuleCode;
  serials: string[];
}

export interface InjectContext {
  random: Random;
  people: People;
  from: number;
  to: number;
  serial: (region: string, day: number) => string;
}

const line = (code: string, day: number, quantity = 1, daysSupply: number | null = null): GenLine => ({
  code,
  quantity,
  day,
  daysSupply,
});

/** Lines of each stay day (admit … discharge − 1) for these per-day items. */
function daily(codes: string[], admit: number, stay: number): GenLine[] {
  const lines: GenLine[] = [];
  for (let day = admit; day < admit + stay; day++) for (const code of codes) lines.push(line(code, day));
  return lines;
}

class Builder {
  readonly out: GenSettlement[] = [];
  constructor(private readonly context: InjectContext) {}

  institutions(region: string, level?: Institution['level']): Institution[] {
    return INSTITUTIONS.filter(
      (row) => row.region === region && (level === undefined || row.level === level),
    );
  }

  settle(
    person: GenPerson,
    institution: Institution,
    visit: '门诊' | '住院',
    admit: number,
    discharge: number,
    primaryDx: string,
    lines: GenLine[],
  ): string {
    const serial = this.context.serial(person.region, discharge);
    this.out.push({ serial, person, institution, visit, admit, discharge, primaryDx, otherDx: [], lines });
    return serial;
  }
}

/** One violation of `rule` (variant by index), with its settlements. */
export function inject(
  context: InjectContext,
  rule: RuleCode,
  index: number,
): { settlements: GenSettlement[]; truth: TruthEntry } {
  const { random, people } = context;
  const build = new Builder(context);
  const region = random.pick(REGIONS);
  const day = context.from + random.int(30, context.to - context.from - 45);
  const adult = (sex?: '男' | '女') => people.aged(region, random.int(30, 60), day, sex);
  const [hospital, second] = build.institutions(region, '二级') as [Institution, Institution];
  const clinic = build.institutions(region, '一级')[0] as Institution;
  const serials: string[] = [];
  const variant = index % 3;
  switch (rule) {
    case 'repeat_settlement': {
      // The same 诊查费 and 血常规 on one day in two 门诊 settlements; no drug, no stay.
      const person = adult();
      for (const place of [clinic, variant === 0 ? clinic : hospital])
        serials.push(
          build.settle(person, place, '门诊', day, day, 'J06.900', [line(C.visitOut, day), line(C.cbc, day)]),
        );
      break;
    }
    case 'concurrent_stay': {
      // Two stays overlapping by three days at two hospitals, billing disjoint item codes (so no
      // 重复结算), each with daily care (no 挂床) and per-day items once a day.
      const person = adult();
      serials.push(
        build.settle(person, hospital, '住院', day, day + 5, 'J18.900', [
          ...daily([C.bed3, C.care2, C.ceftriaxone], day, 5),
          line(C.cbc, day),
        ]),
      );
      serials.push(
        build.settle(person, second, '住院', day + 2, day + 7, 'K52.900', [
          ...daily([C.bed2, C.care3, C.saline], day + 2, 5),
          line(C.urine, day + 2),
        ]),
      );
      break;
    }
    case 'split_admission': {
      // Readmitted to the same hospital 1–15 days after discharge with the same 3-character code.
      const person = adult();
      const gap = random.int(1, 15);
      const lines = (admit: number) => [...daily([C.bed3, C.care2, C.visitIn], admit, 4), line(C.cbc, admit)];
      serials.push(build.settle(person, hospital, '住院', day, day + 4, 'J18.900', lines(day)));
      const again = day + 4 + gap;
      serials.push(build.settle(person, hospital, '住院', again, again + 4, 'J18.000', lines(again)));
      break;
    }
    case 'phantom_bed': {
      const person = adult();
      if (variant === 0)
        // Admitted and discharged the same day with a bed fee (one: within max(stay, 1)).
        serials.push(
          build.settle(person, hospital, '住院', day, day, 'K52.900', [line(C.bed3, day), line(C.cbc, day)]),
        );
      // Ten stay days of bed fees, drugs and treatment on two of them (0.2 < 0.3).
      else
        serials.push(
          build.settle(person, hospital, '住院', day, day + 10, 'J18.900', [
            ...daily([C.bed3], day, 10),
            line(C.ceftriaxone, day),
            line(C.cbc, day + 1),
          ]),
        );
      break;
    }
    case 'over_supply': {
      const person = adult();
      if (variant === 0) {
        // Acute: 5 + 5 days of 阿莫西林, the second before the first runs out (10 > 7).
        for (const at of [day, day + 3])
          serials.push(
            build.settle(person, clinic, '门诊', at, at, 'J06.900', [
              line(C.visitOut, at),
              line(C.amoxicillin, at, 15, 5),
            ]),
          );
      } else if (variant === 1) {
        // Chronic: 30 + 30 days of 氨氯地平 fifteen days apart (60 > 30).
        for (const at of [day, day + 15])
          serials.push(
            build.settle(person, clinic, '门诊', at, at, 'I10.x00', [
              line(C.visitOut, at),
              line(C.amlodipine, at, 30, 30),
            ]),
          );
      } else {
        // One acute prescription of 10 days.
        serials.push(
          build.settle(person, clinic, '门诊', day, day, 'J06.900', [
            line(C.visitOut, day),
            line(C.amoxicillin, day, 30, 10),
          ]),
        );
      }
      break;
    }
    case 'double_charge': {
      // 静脉输液 already includes 静脉注射: both on one day.
      const person = adult();
      serials.push(
        build.settle(person, clinic, '门诊', day, day, 'J06.900', [
          line(C.visitOut, day),
          line(C.infusion, day),
          line(C.ivPush, day),
          line(C.infusionSet, day),
        ]),
      );
      break;
    }
    case 'over_standard': {
      // Five stay days, the bed billed 3 on the first day and 1 on the others (7 > 5).
      const person = adult();
      serials.push(
        build.settle(person, hospital, '住院', day, day + 5, 'J18.900', [
          line(C.bed3, day, 3),
          ...daily([C.bed3], day + 1, 4),
          ...daily([C.care2], day, 5),
          line(C.cbc, day),
        ]),
      );
      break;
    }
    case 'unbundling': {
      // Two or more parts of a panel on one day, the panel itself not billed.
      const person = adult();
      const parts = [
        [C.alt, C.ast],
        [C.tc, C.tg],
        [C.potassium, C.sodium, C.alt],
      ][variant] as string[];
      serials.push(
        build.settle(person, clinic, '门诊', day, day, 'K76.000', [
          line(C.visitOut, day),
          ...parts.map((code) => line(code, day)),
        ]),
      );
      break;
    }
    case 'sex_mismatch': {
      const male = variant !== 1;
      const person = adult(male ? '男' : '女');
      const item = male ? C.cervical : C.psa;
      serials.push(
        build.settle(person, clinic, '门诊', day, day, 'Z00.000', [line(C.visitOut, day), line(item, day)]),
      );
      break;
    }
    case 'age_mismatch': {
      if (variant === 0) {
        // 左氧氟沙星 (18 and over) for a child of 5–12.
        const person = people.aged(region, random.int(5, 12), day);
        serials.push(
          build.settle(person, clinic, '门诊', day, day, 'N39.000', [
            line(C.visitOut, day),
            line(C.urine, day),
            line(C.levofloxacin, day, 5, 5),
          ]),
        );
      } else {
        // 小儿氨酚黄那敏 (14 and under) or 新生儿听力筛查 (under 1) for an adult.
        const person = adult();
        const item = variant === 1 ? line(C.paediatricCold, day, 9, 3) : line(C.hearing, day);
        serials.push(
          build.settle(person, clinic, '门诊', day, day, 'J06.900', [line(C.visitOut, day), item]),
        );
      }
      break;
    }
    case 'restricted_dx': {
      // A drug paid for named diagnoses given for another (acute days, so no 超量开药).
      const person = adult();
      const drug = [
        line(C.atorvastatin, day, 7, 7),
        line(C.gefitinib, day, 7, 7),
        line(C.tiotropium, day, 7, 7),
      ][variant] as GenLine;
      serials.push(build.settle(person, clinic, '门诊', day, day, 'J06.900', [line(C.visitOut, day), drug]));
      break;
    }
    case 'after_death': {
      const person = adult();
      if (variant === 0) {
        // A visit ten days after the recorded death.
        person.death = dateOf(day - 10);
        serials.push(
          build.settle(person, clinic, '门诊', day, day, 'J06.900', [
            line(C.visitOut, day),
            line(C.cbc, day),
          ]),
        );
      } else {
        // Admitted before the death, care billed on the days after it.
        person.death = dateOf(day + 2);
        serials.push(
          build.settle(person, hospital, '住院', day, day + 4, 'J18.900', [
            ...daily([C.bed3, C.care2], day, 4),
            line(C.cbc, day),
          ]),
        );
      }
      break;
    }
  }
  return { settlements: build.out, truth: { rule, serials } };
}
