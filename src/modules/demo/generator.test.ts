import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATEGORIES } from '../catalog/builtin-categories.js';
import { checkIdNumber, isValidCalendarDate } from '../catalog/id-number.js';
import { type ItemInput, ItemInputSchema, MAX_LENGTHS } from '../catalog/item.schema.js';
import { COUNTY_CODES } from '../regions/regions.js';
import { chinaDay, dateOfDay, isWeekend, parseDay } from './calendar.js';
import { DEFAULT_REFERENCE_DATE, generateItemBatch, generateItems, itemBatches } from './items.js';
import { generatePerson } from './people.js';
import { createRandom, weightedTable } from './random.js';

const COUNTIES = new Set(COUNTY_CODES);
const LEAF_CODES = BUILTIN_CATEGORIES.filter(
  (category) => !BUILTIN_CATEGORIES.some((other) => other.parent === category.code),
).map((category) => category.code);
const CATEGORY_BY_CODE = new Map(BUILTIN_CATEGORIES.map((category) => [category.code, category]));
const BASE = { fonds: '0001', regionCode: '320115' };

// The item schema declares `format: 'date'`; TypeBox checks formats only once they are registered.
if (!FormatRegistry.Has('date')) {
  FormatRegistry.Set('date', (value) => /^\d{4}-\d{2}-\d{2}$/.test(value));
}

const isCalendarDate = (text: unknown): boolean =>
  typeof text === 'string' &&
  /^\d{4}-\d{2}-\d{2}$/.test(text) &&
  isValidCalendarDate(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)));

const birthDay = (idNumber: string): number =>
  parseDay(`${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`);

describe('random', () => {
  it('reproduces a stream from the same seed and position', () => {
    const draw = (seed: string | number, position: number) => {
      const rng = createRandom(seed, position);
      return Array.from({ length: 5 }, () => rng.int(1, 1000));
    };
    expect(draw('a', 3)).toEqual(draw('a', 3));
    expect(draw('a', 3)).not.toEqual(draw('a', 4));
    expect(draw(42, 0)).toEqual(draw('42', 0));
  });

  it('keeps int within bounds and honours weights', () => {
    const rng = createRandom('bounds');
    const table = weightedTable([
      ['rare', 1],
      ['common', 9],
      ['never', 0],
    ]);
    const counts: Record<string, number> = {};
    for (let index = 0; index < 10_000; index++) {
      const value = rng.int(3, 7);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(7);
      const picked = rng.weighted(table);
      counts[picked] = (counts[picked] ?? 0) + 1;
    }
    expect(counts.never).toBeUndefined();
    expect(counts.common ?? 0).toBeGreaterThan(8 * (counts.rare ?? 0));
  });
});

describe('calendar', () => {
  it('agrees with Date on days and weekends', () => {
    for (let day = parseDay('2015-01-01'); day <= parseDay('2025-12-31'); day += 37) {
      expect(chinaDay(dateOfDay(day))).toBe(day);
      expect(isWeekend(day)).toBe([0, 6].includes(dateOfDay(day).getUTCDay()));
    }
  });
});

describe('generatePerson', () => {
  it('builds valid ID numbers whose sex digit and birth date match the person', () => {
    const rng = createRandom('people');
    const referenceDate = new Date('2020-06-30T12:00:00+08:00');
    const today = chinaDay(referenceDate);
    for (let index = 0; index < 2000; index++) {
      const person = generatePerson(rng, { regionCodes: ['320115', '110105'], referenceDate, minAge: 18 });
      expect(checkIdNumber(person.idNumber, referenceDate)).toBeUndefined();
      expect(['320115', '110105']).toContain(person.idNumber.slice(0, 6));
      expect(person.idNumber.slice(6, 14)).toBe(person.birthDate.replaceAll('-', ''));
      expect(Number(person.idNumber[16]) % 2).toBe(person.gender === 'male' ? 1 : 0);
      const ageInDays = today - birthDay(person.idNumber);
      expect(ageInDays).toBeGreaterThanOrEqual(18 * 365);
      expect(ageInDays).toBeLessThan(96 * 366);
      expect(person.name).toMatch(/^[\u4e00-\u9fff]{2,5}$/);
      expect(person.insuredNumber).toMatch(/^\d{10,12}$/);
      expect(person.insuredNumber.startsWith(person.regionCode.slice(0, 4))).toBe(true);
    }
  });
});

describe('generateItems', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const first = JSON.stringify(generateItems({ ...BASE, seed: 'alpha', count: 200 }));
    expect(JSON.stringify(generateItems({ ...BASE, seed: 'alpha', count: 200 }))).toBe(first);
    expect(JSON.stringify(generateItems({ ...BASE, seed: 'beta', count: 200 }))).not.toBe(first);
  });

  it('yields the same item for an index whatever the batching', () => {
    const whole = generateItems({ ...BASE, seed: 7, count: 50 });
    const halves = [
      ...generateItemBatch(7, '0001', '320115', 0, 25),
      ...generateItemBatch(7, '0001', '320115', 25, 25),
    ];
    expect(halves).toEqual(whole);
    expect([...itemBatches({ ...BASE, seed: 7, count: 50 }, 7)].flat()).toEqual(whole);
    expect(generateItems({ ...BASE, seed: 7, count: 5, startIndex: 45 })).toEqual(whole.slice(45));
  });

  it('never dates an item or a birth after the reference date', () => {
    const referenceDate = new Date('2020-06-30T09:00:00+08:00');
    const lastDay = chinaDay(referenceDate);
    for (const item of generateItems({ ...BASE, seed: 'early', count: 500, referenceDate })) {
      expect(item.year).toBeLessThanOrEqual(2020);
      expect(parseDay(item.date)).toBeLessThanOrEqual(lastDay);
      if (item.idNumber) expect(checkIdNumber(item.idNumber, referenceDate)).toBeUndefined();
    }
  });

  it('rejects unknown regions and invalid ranges', () => {
    expect(() => generateItems({ ...BASE, regionCode: '999999', seed: 1, count: 1 })).toThrow();
    expect(() => generateItemBatch(1, '0001', '320115', -1, 10)).toThrow();
  });

  describe('2,000 items', () => {
    const items: ItemInput[] = generateItems({ ...BASE, seed: 'checks', count: 2000 });
    const lastDay = chinaDay(DEFAULT_REFERENCE_DATE);

    it('covers every leaf category and only leaf categories', () => {
      const seen = new Set(items.map((item) => item.category));
      expect([...seen].sort()).toEqual([...LEAF_CODES].sort());
    });

    it('passes the item schema', () => {
      for (const item of items) {
        const errors = [...Value.Errors(ItemInputSchema, item)].map(
          (error) => `${error.path}: ${error.message}`,
        );
        expect(errors).toEqual([]);
      }
    });

    it('dates items inside their year, 2015–2025, handled the same day', () => {
      for (const item of items) {
        expect(item.year).toBeGreaterThanOrEqual(2015);
        expect(item.year).toBeLessThanOrEqual(2025);
        expect(isCalendarDate(item.date)).toBe(true);
        expect(item.date.startsWith(`${item.year}-`)).toBe(true);
        expect(parseDay(item.date)).toBeLessThanOrEqual(lastDay);
        expect(item.handledAt).toMatch(new RegExp(`^${item.date}T\\d{2}:\\d{2}:\\d{2}\\+08:00$`));
        expect(Number.isNaN(Date.parse(item.handledAt as string))).toBe(false);
      }
    });

    it('names a valid person born before the record whenever the category requires one', () => {
      for (const item of items) {
        const category = CATEGORY_BY_CODE.get(item.category);
        if (category?.requiresPerson) {
          expect(item.idNumber && item.name && item.insuredNumber).toBeTruthy();
        }
        if (!item.idNumber) continue;
        expect(checkIdNumber(item.idNumber, DEFAULT_REFERENCE_DATE)).toBeUndefined();
        const ageInDays = parseDay(item.date) - birthDay(item.idNumber);
        expect(ageInDays).toBeGreaterThanOrEqual(0);
        expect(ageInDays).toBeLessThan(96 * 366);
        if (item.category === 'CH') expect(ageInDays).toBeGreaterThanOrEqual(60 * 365);
      }
    });

    it('formats amounts with two decimals and provides them when required', () => {
      for (const item of items) {
        if (CATEGORY_BY_CODE.get(item.category)?.requiresAmount) expect(item.amount).toBeDefined();
        if (item.amount !== undefined) expect(item.amount).toMatch(/^\d+\.\d{2}$/);
      }
    });

    it('locates every paper or hybrid item and no electronic one', () => {
      for (const item of items) {
        if (item.carrier === 'electronic') expect(item.paperLocation ?? null).toBeNull();
        else
          expect(item.paperLocation).toMatchObject({
            warehouse: expect.any(String),
            box: expect.any(String),
          });
      }
      const carriers = new Set(items.map((item) => item.carrier));
      expect(carriers).toEqual(new Set(['electronic', 'paper', 'hybrid']));
    });

    it('keeps text fields within their maximum lengths and codes well-formed', () => {
      for (const item of items) {
        for (const [field, max] of Object.entries(MAX_LENGTHS)) {
          const value = (item as Record<string, unknown>)[field];
          if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(max as number);
        }
        expect(item.org).toMatch(/^[A-Z0-9]+$/);
        expect(item.title.length).toBeGreaterThan(4);
        expect(COUNTIES.has(item.poolingRegion as string)).toBe(true);
      }
    });

    it('fills exactly the declared extra fields, each valid for its type', () => {
      for (const item of items) {
        const fields = CATEGORY_BY_CODE.get(item.category)?.extraFields ?? [];
        const extra = item.extra ?? {};
        expect(Object.keys(extra).sort()).toEqual(fields.map((field) => field.key).sort());
        for (const field of fields) {
          const value = extra[field.key];
          if (field.type === 'text') {
            expect(typeof value).toBe('string');
            expect((value as string).length).toBeGreaterThan(0);
            expect((value as string).length).toBeLessThanOrEqual(field.maxLength ?? Infinity);
          } else if (field.type === 'date') {
            expect(isCalendarDate(value)).toBe(true);
          } else if (field.type === 'region') {
            expect(COUNTIES.has(value as string)).toBe(true);
          } else if (field.type === 'enum') {
            expect(field.options).toContain(value);
          } else if (field.type === 'amount') {
            expect(value).toMatch(/^\d+\.\d{2}$/);
          } else {
            expect(Number.isSafeInteger(value)).toBe(true);
          }
        }
        if (item.category === 'DYZY') {
          const admission = String(extra.admissionDate);
          const discharge = String(extra.dischargeDate);
          expect(admission <= discharge && discharge <= item.date).toBe(true);
          expect(admission.startsWith(`${item.year}-`)).toBe(true);
        }
      }
    });
  });
});
