import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { inlineParameters, runPlanned } from './planned.js';

// A pinned search query travels as text with its parameters written in: every value must come back
// from the database exactly as it went in, whatever quotes, backslashes or dollars it holds, and the
// plan's settings must hold inside the query and nowhere after it.

let database: TestDatabase;
const db = () => database.db;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => database?.close());

const HOSTILE = [
  "it's",
  "''",
  '\\',
  "\\'; drop table search_doc; --",
  "'); select 1; --",
  '$1',
  '$$ $tag$',
  "E'\\x41'",
  '题名:"医疗救助" & !\'报销\'',
  '𠀀 emoji 😀 full-width ＇＼',
  '',
];

describe('parameters written into a planned query', () => {
  it('come back exactly as they went in, text of any shape', async () => {
    for (const value of HOSTILE) {
      const [result] = await runPlanned<{ v: string; n: number }>(
        db(),
        'free',
        sql`select ${value}::text as v, length(${value}) as n`,
      );
      expect(result?.row).toEqual({ v: value, n: [...value].length });
    }
  });

  it('keep numbers, negative ones too, booleans, nulls and times', async () => {
    const at = new Date('2026-11-22T08:30:00.123Z');
    const [result] = await runPlanned<Record<string, unknown>>(
      db(),
      'free',
      sql`select 5 -${-3} as minus, ${2.5}::float8 * 2 as half, ${true} and not ${false} as yes,
        ${null}::text is null as none, ${at}::timestamptz = '2026-11-22T08:30:00.123Z'::timestamptz as same`,
    );
    expect(result?.row).toEqual({ minus: 8, half: 5, yes: true, none: true, same: true });
  });

  it('are refused when they cannot be written safely or do not match the statement', () => {
    expect(() => inlineParameters('select $1', ['a\0b'])).toThrow(/NUL/);
    expect(() => inlineParameters('select $1', [Buffer.from('x')])).toThrow(/type/);
    expect(() => inlineParameters('select $1', [Number.NaN])).toThrow(/finite/);
    expect(() => inlineParameters('select $2', ['a'])).toThrow(/\$2/);
    expect(() => inlineParameters('select 1', ['a'])).toThrow(/never/);
    // $1 and $10 are told apart.
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const text = `select ${values.map((value) => `$${value}`).join(', ')}`;
    expect(inlineParameters(text, values)).toBe(`select ${values.join(', ')}`);
  });
});

describe('the plans', () => {
  it('hold their settings while the query runs and leave none behind', async () => {
    const settings = sql<Record<string, string>>`select current_setting('enable_seqscan') as seq,
      current_setting('enable_bitmapscan') as bitmap, current_setting('enable_indexscan') as indexscan,
      current_setting('work_mem') as mem`;
    const [walk] = await runPlanned(db(), 'walk', settings);
    expect(walk?.row).toEqual({ seq: 'off', bitmap: 'off', indexscan: 'on', mem: '64MB' });
    const [collect] = await runPlanned(db(), 'collect', settings);
    expect(collect?.row).toEqual({ seq: 'on', bitmap: 'on', indexscan: 'off', mem: '64MB' });
    const [free] = await runPlanned(db(), 'free', settings);
    expect(free?.row).toEqual({ seq: 'on', bitmap: 'on', indexscan: 'on', mem: '64MB' });
    const after = await settings.execute(db());
    expect(after.rows[0]?.seq).toBe('on');
    expect(after.rows[0]?.mem).not.toBe('64MB');
  });
});
