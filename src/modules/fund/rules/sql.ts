import { type RawBuilder, sql } from 'kysely';
import type { RuleParams } from '../rule.tables.js';

// Small pieces the rules' statements share.

/** A text[] literal of the values, each a parameter. */
export const textArray = (values: readonly string[]): RawBuilder<string[]> =>
  values.length === 0
    ? sql<string[]>`'{}'::text[]`
    : sql<string[]>`array[${sql.join(values.map((value) => sql`${value}::text`))}]`;

/** The same values as LIKE patterns: each a prefix. */
export const prefixPatterns = (values: readonly string[]) => textArray(values.map((value) => `${value}%`));

export const numberParam = (params: RuleParams, name: string): number => {
  const value = params[name];
  if (typeof value !== 'number') throw new Error(`rule parameter ${name} missing`);
  return value;
};

export const listParam = (params: RuleParams, name: string): string[] => {
  const value = params[name];
  if (!Array.isArray(value)) throw new Error(`rule parameter ${name} missing`);
  return value;
};

/** A numeric literal passed as a parameter (both drivers send numbers as text; the cast fixes the type). */
export const num = (value: number) => sql`${String(value)}::numeric`;
export const int = (value: number) => sql`${String(Math.trunc(value))}::integer`;
