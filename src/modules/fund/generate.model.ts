import { idCheckChar } from '../catalog/id-number.js';
import { ageAt } from './fund-person.js';
import type { Institution } from './generate.catalog.js';

// The generator's working shapes: a seeded random source (the same seed gives the same settlements),
// days as numbers, synthetic people with valid GB 11643 numbers, and settlements with their lines
// before they are written.

/** mulberry32: small, fast and good enough for synthetic data; deterministic from the seed. */
export function seeded(seed: number): Random {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T,
    chance: (p) => next() < p,
  };
}

export interface Random {
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(list: readonly T[]): T;
  chance(p: number): boolean;
}

const DAY = 86_400_000;
export const dayOf = (date: string): number => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY);
export const dateOf = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);

export interface GenPerson {
  idNumber: string;
  sex: '男' | '女';
  birth: string;
  region: string;
  death: string | null;
}

export interface GenLine {
  code: string;
  quantity: number;
  day: number;
  daysSupply: number | null;
}

export interface GenSettlement {
  serial: string;
  person: GenPerson;
  institution: Institution;
  visit: '门诊' | '住院';
  admit: number;
  discharge: number;
  primaryDx: string;
  otherDx: string[];
  lines: GenLine[];
}

/** The catalogue as the generator needs it (read from fund_item). */
export interface CatalogItem {
  code: string;
  name: string;
  category: '药品' | '诊疗' | '耗材' | '床位';
  price: number;
  sex: '男' | '女' | null;
  ageMin: number | null;
  ageMax: number | null;
  permittedDx: string[];
  includes: string[];
  parts: string[];
}

/** People with unique, valid ID numbers (region of issue, birth date, sequence with the sex, check). */
export class People {
  private readonly taken = new Set<string>();
  constructor(private readonly random: Random) {}

  make(region: string, birth: string, sex: '男' | '女'): GenPerson {
    for (;;) {
      const sequence = this.random.int(0, 499) * 2 + (sex === '男' ? 1 : 0);
      const first17 = `${region}${birth.replaceAll('-', '')}${String(sequence).padStart(3, '0')}`;
      const idNumber = first17 + idCheckChar(first17);
      if (this.taken.has(idNumber)) continue;
      this.taken.add(idNumber);
      return { idNumber, sex, birth, region, death: null };
    }
  }

  /** A person of an age (whole years) on a day, of a sex or either. */
  aged(region: string, age: number, onDay: number, sex?: '男' | '女'): GenPerson {
    const birthDay = onDay - age * 365 - this.random.int(20, 340);
    return this.make(region, dateOf(birthDay), sex ?? (this.random.chance(0.5) ? '男' : '女'));
  }
}

/**
 * Whether a line keeps to its item's limits for this person and settlement: sex, age on the line's
 * day, permitted diagnoses of a drug. The background keeps only lines that do.
 */
export function lineAllowed(
  item: CatalogItem,
  person: GenPerson,
  settlement: GenSettlement,
  day: number,
): boolean {
  if (item.sex !== null && item.sex !== person.sex) return false;
  if (item.ageMin !== null || item.ageMax !== null) {
    const age = ageAt(person.birth, dateOf(day));
    if (item.ageMin !== null && age < item.ageMin) return false;
    if (item.ageMax !== null && age > item.ageMax) return false;
  }
  if (item.category === '药品' && item.permittedDx.length > 0) {
    const dx = [settlement.primaryDx, ...settlement.otherDx];
    if (!item.permittedDx.some((prefix) => dx.some((code) => code.startsWith(prefix)))) return false;
  }
  return true;
}

/**
 * Drops from a background settlement what would make a charge rule fire: on one day, an item whose
 * includer is billed (重复收费) and a second part of a bundle that is not billed (分解收费).
 */
export function chargeGuard(items: ReadonlyMap<string, CatalogItem>): (lines: GenLine[]) => GenLine[] {
  const includers = [...items.values()].filter((item) => item.includes.length > 0);
  const bundles = [...items.values()].filter((item) => item.parts.length > 0);
  return (lines) => {
    const byDay = new Map<number, Set<string>>();
    for (const line of lines) {
      const codes = byDay.get(line.day) ?? new Set<string>();
      codes.add(line.code);
      byDay.set(line.day, codes);
    }
    const drop = new Set<string>();
    for (const [day, codes] of byDay) {
      for (const item of includers)
        if (codes.has(item.code))
          for (const included of item.includes) if (codes.has(included)) drop.add(`${day}:${included}`);
      for (const bundle of bundles) {
        if (codes.has(bundle.code)) continue;
        const billed = bundle.parts.filter((part) => codes.has(part));
        for (const part of billed.slice(1)) drop.add(`${day}:${part}`);
      }
    }
    return drop.size === 0 ? lines : lines.filter((line) => !drop.has(`${line.day}:${line.code}`));
  };
}

export const money = (value: number) => Math.round(value * 100) / 100;
