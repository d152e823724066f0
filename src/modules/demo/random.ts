// Seeded randomness for the demo data. Math.random is never used: a seed must reproduce the same data on
// every machine and Node version, so the generator is mulberry32 (32-bit state, fast, good enough for fake
// records) and seeds are derived with integer hashing only.

const GOLDEN_RATIO = 0x9e3779b9;

/** MurmurHash3's finalizer: spreads nearby inputs (seed+1, seed+2 …) over the whole 32-bit range. */
export function mix32(value: number): number {
  let hash = value >>> 0;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** A 32-bit hash of a seed. Numbers and strings hash by their text, so 42 and '42' are the same seed. */
export function hashSeed(seed: string | number): number {
  const text = String(seed);
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return mix32(hash);
}

/**
 * Derives an independent stream from a base hash and a position. Items use this with their index so an
 * item never depends on how many random numbers the items before it consumed.
 */
export function deriveSeed(base: number, position: number): number {
  const low = position >>> 0;
  const high = Math.floor(position / 0x1_0000_0000) >>> 0;
  return mix32(mix32(base ^ Math.imul(low + 1, GOLDEN_RATIO)) ^ Math.imul(high + 1, 0x7feb352d));
}

export interface WeightedTable<T> {
  readonly values: readonly T[];
  readonly cumulative: readonly number[];
  readonly total: number;
}

/** Precomputes cumulative weights once so each weighted pick is a binary search, not a linear scan. */
export function weightedTable<T>(entries: readonly (readonly [T, number])[]): WeightedTable<T> {
  const values: T[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const [value, weight] of entries) {
    if (!(weight > 0)) continue;
    total += weight;
    values.push(value);
    cumulative.push(total);
  }
  if (values.length === 0) throw new Error('weightedTable needs at least one entry with a positive weight');
  return { values, cumulative, total };
}

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** An integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float in [min, max) whose logarithm is uniform: most values are small, a few are large, as with money. */
  logUniform(min: number, max: number): number {
    return Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min)));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(values: readonly T[]): T {
    if (values.length === 0) throw new Error('cannot pick from an empty list');
    return values[Math.floor(this.next() * values.length)] as T;
  }

  weighted<T>(table: WeightedTable<T>): T {
    const target = this.next() * table.total;
    let low = 0;
    let high = table.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((table.cumulative[middle] as number) > target) high = middle;
      else low = middle + 1;
    }
    return table.values[low] as T;
  }

  /** A string of decimal digits; leading zeros allowed. */
  digits(length: number): string {
    let text = '';
    for (let index = 0; index < length; index++) text += String(Math.floor(this.next() * 10));
    return text;
  }
}

export const createRandom = (seed: string | number, position = 0): Random =>
  new Random(deriveSeed(hashSeed(seed), position));

export const pad = (value: number, width: number): string => String(value).padStart(width, '0');
