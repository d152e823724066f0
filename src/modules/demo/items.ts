import { BUILTIN_CATEGORIES, type BuiltinCategory } from '../catalog/builtin-categories.js';
import type { ExtraFieldSpec } from '../catalog/catalog.queries.js';
import type { Carrier, ItemInput, SecurityLevel, Sensitivity } from '../catalog/item.schema.js';
import { MAX_LENGTHS } from '../catalog/item.schema.js';
import { COUNTY_CODES } from '../regions/regions.js';
import {
  calendarDay,
  chinaDay,
  dateOfDay,
  firstDayOfYear,
  formatDay,
  isWeekend,
  lastDayOfYear,
} from './calendar.js';
import {
  CATEGORY_PROFILES,
  type CategoryProfile,
  genericProfile,
  type ItemContext,
} from './category-profiles.js';
import { generateName, generatePerson } from './people.js';
import { type RegionProfile, randomCounty, regionProfile } from './places.js';
import { deriveSeed, hashSeed, pad, Random, type WeightedTable, weightedTable } from './random.js';

// Synthetic archive items. Item i is a pure function of (seed, fonds, region, reference date, i): its
// random stream is derived from the seed and i alone, so a million items can be produced in any batch
// size, in any order or in parallel, and always come out the same.

export const FIRST_YEAR = 2015;
export const LAST_YEAR = 2025;
/** Fixed so output never depends on when it is generated. */
export const DEFAULT_REFERENCE_DATE = new Date('2025-12-31T12:00:00+08:00');

/** Categories an item can be filed under: those no other category names as its parent. */
export const LEAF_CATEGORIES: readonly BuiltinCategory[] = BUILTIN_CATEGORIES.filter(
  (category) => !BUILTIN_CATEGORIES.some((other) => other.parent === category.code),
);

const profileOf = (category: BuiltinCategory): CategoryProfile =>
  CATEGORY_PROFILES[category.code] ?? genericProfile(category.name);

const CATEGORIES = weightedTable(
  LEAF_CATEGORIES.map(
    (category) => [{ category, profile: profileOf(category) }, profileOf(category).weight] as const,
  ),
);

const CARRIERS = weightedTable<Carrier>([
  ['electronic', 70],
  ['paper', 15],
  ['hybrid', 15],
]);

// Records about a person are the ones an agency marks up (a public figure, a staff member's own claim).
const PERSONAL_SENSITIVITY = weightedTable<Sensitivity | undefined>([
  [undefined, 85],
  ['sensitive', 12],
  ['restricted', 3],
]);
const IMPERSONAL_SENSITIVITY = weightedTable<Sensitivity | undefined>([
  [undefined, 97],
  ['sensitive', 3],
]);

const COUNTY_SET = new Set(COUNTY_CODES);

export interface GenerateItemsOptions {
  seed: string | number;
  count: number;
  /** 全宗号, copied into every item. */
  fonds: string;
  /** The fonds' county: agency names, local hospitals and most pooling regions come from it. */
  regionCode: string;
  /** Index of the first item; item i is the same whichever batch produces it. */
  startIndex?: number;
  /** No item or birth date falls after this day (in China). Defaults to DEFAULT_REFERENCE_DATE. */
  referenceDate?: Date;
}

interface Setting {
  baseSeed: number;
  fonds: string;
  region: RegionProfile;
  years: WeightedTable<number>;
  lastDay: number;
  /** Staff per office, rebuilt identically by every batch. */
  rosters: Map<string, string[]>;
}

function prepare(seed: string | number, fonds: string, regionCode: string, referenceDate: Date): Setting {
  const lastDay = chinaDay(referenceDate);
  const lastYear = Math.min(LAST_YEAR, calendarDay(lastDay).year);
  const firstYear = Math.min(FIRST_YEAR, lastYear);
  const years: (readonly [number, number])[] = [];
  // Later years hold more records: more people insured and more business handled online.
  for (let year = firstYear; year <= lastYear; year++) years.push([year, 1 + 0.15 * (year - firstYear)]);
  return {
    baseSeed: hashSeed(seed),
    fonds,
    region: regionProfile(regionCode),
    years: weightedTable(years),
    lastDay,
    rosters: new Map(),
  };
}

export function generateItems(options: GenerateItemsOptions): ItemInput[] {
  return generateItemBatch(
    options.seed,
    options.fonds,
    options.regionCode,
    options.startIndex ?? 0,
    options.count,
    options.referenceDate,
  );
}

/** Items startIndex … startIndex + count − 1; call repeatedly with consecutive ranges to stream. */
export function generateItemBatch(
  seed: string | number,
  fonds: string,
  regionCode: string,
  startIndex: number,
  count: number,
  referenceDate: Date = DEFAULT_REFERENCE_DATE,
): ItemInput[] {
  if (!Number.isSafeInteger(startIndex) || startIndex < 0)
    throw new Error(`startIndex 应为非负整数：${startIndex}`);
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`count 应为非负整数：${count}`);
  const setting = prepare(seed, fonds, regionCode, referenceDate);
  const items: ItemInput[] = [];
  for (let offset = 0; offset < count; offset++) items.push(generateOne(setting, startIndex + offset));
  return items;
}

/** Yields consecutive batches so a caller can insert a million items without holding them all. */
export function* itemBatches(options: GenerateItemsOptions, batchSize = 1000): Generator<ItemInput[]> {
  const start = options.startIndex ?? 0;
  for (let done = 0; done < options.count; done += batchSize) {
    const size = Math.min(batchSize, options.count - done);
    yield generateItemBatch(
      options.seed,
      options.fonds,
      options.regionCode,
      start + done,
      size,
      options.referenceDate,
    );
  }
}

export function formatAmount(yuan: number): string {
  const cents = Math.round(yuan * 100);
  return `${Math.floor(cents / 100)}.${pad(cents % 100, 2)}`;
}

/** A working day of the year, not after the reference day: agencies rarely file on weekends. */
function pickDay(rng: Random, year: number, lastDay: number): number {
  const from = firstDayOfYear(year);
  const to = Math.min(lastDayOfYear(year), lastDay);
  let day = rng.int(from, to);
  for (let attempt = 0; attempt < 3 && isWeekend(day); attempt++) day = rng.int(from, to);
  return day;
}

function handledAt(rng: Random, date: string): string {
  const morning = rng.chance(0.55);
  const minuteOfDay = morning ? rng.int(8 * 60 + 30, 11 * 60 + 50) : rng.int(14 * 60, 17 * 60 + 30);
  const time = `${pad(Math.floor(minuteOfDay / 60), 2)}:${pad(minuteOfDay % 60, 2)}:${pad(rng.int(0, 59), 2)}`;
  return `${date}T${time}+08:00`;
}

/** Each office has a handful of regular staff, so the same handlers recur as in a real archive. */
function handlerFor(setting: Setting, org: string, rng: Random): string {
  let roster = setting.rosters.get(org);
  if (!roster) {
    // Hashed apart from the item streams so no item index can share the roster's random numbers.
    const staffRng = new Random(hashSeed(`staff:${setting.baseSeed}:${setting.region.code}:${org}`));
    const size = staffRng.int(3, 6);
    roster = [];
    for (let index = 0; index < size; index++) {
      roster.push(generateName(staffRng, staffRng.chance(0.5) ? 'male' : 'female', staffRng.int(1965, 2000)));
    }
    setting.rosters.set(org, roster);
  }
  return rng.pick(roster);
}

function isValidExtra(field: ExtraFieldSpec, value: unknown): boolean {
  switch (field.type) {
    case 'text':
      return typeof value === 'string' && value.length > 0 && value.length <= (field.maxLength ?? Infinity);
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
    case 'amount':
      return typeof value === 'string' && /^\d+\.\d{2}$/.test(value);
    case 'integer':
      return Number.isSafeInteger(value);
    case 'region':
      return typeof value === 'string' && COUNTY_SET.has(value);
    case 'enum':
      return typeof value === 'string' && (field.options ?? []).includes(value);
  }
}

function fallbackExtra(field: ExtraFieldSpec, ctx: ItemContext): unknown {
  const { rng } = ctx;
  switch (field.type) {
    case 'text':
      return `${field.label}${rng.digits(4)}`.slice(0, field.maxLength ?? 100);
    case 'date':
      return formatDay(ctx.day);
    case 'amount':
      return formatAmount(rng.logUniform(100, 10_000));
    case 'integer':
      return rng.int(1, 100);
    case 'region':
      return COUNTY_SET.has(ctx.poolingRegion) ? ctx.poolingRegion : randomCounty(rng);
    case 'enum':
      return rng.pick(field.options ?? ['']);
  }
}

/** Exactly the declared fields, each valid for its type, even when a profile is missing or out of date. */
function completeExtra(fields: readonly ExtraFieldSpec[], ctx: ItemContext): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const field of fields) {
    const value = ctx.extra[field.key];
    extra[field.key] = isValidExtra(field, value) ? value : fallbackExtra(field, ctx);
  }
  return extra;
}

function householdRegions(rng: Random, region: RegionProfile, local: readonly string[]): readonly string[] {
  const draw = rng.next();
  if (draw < 0.8 || (draw < 0.92 && region.nearby.length === 0)) return local;
  return draw < 0.92 ? region.nearby : COUNTY_CODES;
}

function securityLevelFor(rng: Random, category: BuiltinCategory, hasPerson: boolean): SecurityLevel {
  if (category.code.startsWith('JG') && rng.chance(0.05)) return 'confidential';
  if (!hasPerson && rng.chance(0.05)) return 'public';
  return 'internal';
}

const truncate = (text: string, field: keyof typeof MAX_LENGTHS): string => text.slice(0, MAX_LENGTHS[field]);

function generateOne(setting: Setting, index: number): ItemInput {
  const rng = new Random(deriveSeed(setting.baseSeed, index));
  const { region } = setting;
  const { category, profile } = rng.weighted(CATEGORIES);
  const drawnYear = rng.weighted(setting.years);
  const lastYear = setting.years.values[setting.years.values.length - 1] as number;
  const sinceYear = Math.min(profile.sinceYear ?? drawnYear, lastYear);
  const year = drawnYear >= sinceYear ? drawnYear : rng.int(sinceYear, lastYear);
  const day = pickDay(rng, year, setting.lastDay);
  const date = formatDay(day);
  const poolingRegion = region.nearby.length > 0 && rng.chance(0.15) ? rng.pick(region.nearby) : region.code;
  const withPerson = category.requiresPerson === true || rng.chance(profile.personChance ?? 0);
  const person = withPerson
    ? generatePerson(rng, {
        regionCodes: householdRegions(rng, region, [region.code]),
        referenceDate: dateOfDay(day),
        minAge: profile.ages?.[0],
        maxAge: profile.ages?.[1],
        insuredRegionCode: poolingRegion,
      })
    : undefined;
  const { month } = calendarDay(day);
  const ctx: ItemContext = {
    rng,
    year,
    month,
    day,
    region,
    poolingRegion,
    person,
    businessType: rng.pick((person && profile.personBusinessTypes) || profile.businessTypes),
    extra: {},
  };
  ctx.extra = profile.extra?.(ctx) ?? {};
  const title = truncate(profile.title(ctx), 'title');
  const org = rng.pick(profile.orgs);
  const docNumber =
    profile.docNumber && rng.chance(profile.docNumber[0])
      ? `${region.shortName}${profile.docNumber[1]}〔${year}〕${rng.int(1, 150)}号`
      : undefined;
  const securityLevel = securityLevelFor(rng, category, person !== undefined);
  const handled = handledAt(rng, date);
  const handler = handlerFor(setting, org, rng);
  const amountRange = typeof profile.amount === 'function' ? profile.amount(ctx) : profile.amount;
  const withAmount =
    category.requiresAmount === true || (amountRange && rng.chance(profile.amountChance ?? 0));
  const [minAmount, maxAmount] = amountRange ?? [100, 10_000];
  const amount = withAmount ? formatAmount(rng.logUniform(minAmount, maxAmount)) : undefined;
  const carrier = rng.weighted(CARRIERS);
  const paperLocation =
    carrier === 'electronic'
      ? undefined
      : {
          warehouse: `${rng.int(1, 3)}号库房`,
          cabinet: pad(rng.int(1, 40), 2),
          shelf: String(rng.int(1, 6)),
          box: pad(rng.int(1, 999), 4),
        };
  const sensitivity = rng.weighted(person ? PERSONAL_SENSITIVITY : IMPERSONAL_SENSITIVITY);
  const extraFields = category.extraFields ?? [];

  return {
    fonds: setting.fonds,
    category: category.code,
    year,
    org,
    title,
    ...(docNumber && { docNumber }),
    responsible: truncate(region.bureau, 'responsible'),
    date,
    securityLevel,
    ...(person && { insuredNumber: person.insuredNumber, idNumber: person.idNumber, name: person.name }),
    businessType: truncate(ctx.businessType, 'businessType'),
    handledAt: handled,
    handler,
    agency: truncate(region.agency, 'agency'),
    poolingRegion,
    ...(amount && { amount }),
    carrier,
    ...(paperLocation && { paperLocation }),
    ...(sensitivity && { sensitivity }),
    ...(extraFields.length > 0 && { extra: completeExtra(extraFields, ctx) }),
  };
}
