import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import '../../../test/helpers/field-key.js';
import { systemContext } from '../../shared/access-context.js';
import { checkRules } from './generate.check.js';
import { type GenerateResult, generateSettlements, RULE_CODES } from './generate.js';

// The generator: deterministic from its seed, realistic in shape, every injected violation caught by a
// plain check of its rule as the plan defines it, and the background caught by none.

const SYSTEM = systemContext('fixture');
let first: TestDatabase;
let second: TestDatabase;
let result: GenerateResult;

beforeAll(async () => {
  first = await openTestDatabase();
  second = await openTestDatabase();
  result = await generateSettlements(first.db, SYSTEM, { count: 3000, seed: 27, violationsPerRule: 4 });
}, 120_000);
afterAll(async () => {
  await first?.close();
  await second?.close();
});

const rows = (db: TestDatabase) =>
  sql<{ serial: string; admit: string; dx: string; total: string; lines: string }>`
    select s.serial, s.admit_date as admit, s.primary_dx as dx, s.total_cost::text as total,
      string_agg(l.item_code || '×' || l.quantity::text || '@' || l.line_date::text, ',' order by l.line_no) as lines
    from fund_settlement s join fund_settlement_line l on l.settlement_id = s.id
    group by s.id order by s.serial`.execute(db.db);

describe('generateSettlements', () => {
  it('makes the number asked, about ten lines each, a mix of visit types, levels and regions', async () => {
    expect(result.settlements).toBe(3000);
    const counts = await sql<{
      settlements: number;
      lines: number;
      inpatient: number;
      levels: number;
      regions: number;
      persons: number;
    }>`
      select (select count(*)::int from fund_settlement) as settlements,
        (select count(*)::int from fund_settlement_line) as lines,
        (select count(*)::int from fund_settlement where visit_type = '住院') as inpatient,
        (select count(distinct institution_level)::int from fund_settlement) as levels,
        (select count(distinct region)::int from fund_settlement) as regions,
        (select count(*)::int from fund_person) as persons`.execute(first.db);
    const row = counts.rows[0] as (typeof counts.rows)[number];
    expect(row.settlements).toBe(3000);
    expect(row.lines).toBe(result.lines);
    expect(row.lines / row.settlements).toBeGreaterThan(7);
    expect(row.lines / row.settlements).toBeLessThan(14);
    expect(row.inpatient / row.settlements).toBeGreaterThan(0.1);
    expect(row.inpatient / row.settlements).toBeLessThan(0.5);
    expect(row.levels).toBe(3);
    expect(row.regions).toBe(4);
    expect(row.persons).toBe(result.persons);
    const dead = await sql<{
      n: number;
    }>`select count(*)::int as n from fund_person where death_date is not null`.execute(first.db);
    expect(dead.rows[0]?.n).toBeGreaterThan(4);
    const money = await sql<{ n: number }>`
      select count(*)::int as n from fund_settlement s
      where total_cost <> fund_paid + self_paid
        or total_cost <> (select sum(amount) from fund_settlement_line l where l.settlement_id = s.id)
        or exists (select 1 from fund_settlement_line l where l.settlement_id = s.id and abs(l.amount - l.quantity * l.unit_price) > 0.01)`.execute(
      first.db,
    );
    expect(money.rows[0]?.n).toBe(0);
  });

  it('injects every rule and records the ground truth', () => {
    for (const rule of RULE_CODES)
      expect(result.truth.filter((entry) => entry.rule === rule)).toHaveLength(4);
    for (const entry of result.truth) expect(entry.serials.length).toBeGreaterThan(0);
  });

  it('each rule, checked plainly, finds exactly the injected violations (the background triggers none)', async () => {
    const hits = await checkRules(first.db);
    for (const rule of RULE_CODES) {
      const expected = new Set(
        result.truth
          .filter((entry) => entry.rule === rule)
          .map((entry) => [...entry.serials].sort().join(' ')),
      );
      expect([...(hits.get(rule) ?? [])].sort(), rule).toEqual([...expected].sort());
    }
  });

  it('gives the same settlements for the same seed', async () => {
    const again = await generateSettlements(second.db, SYSTEM, {
      count: 3000,
      seed: 27,
      violationsPerRule: 4,
    });
    expect(again.truth).toEqual(result.truth);
    expect((await rows(second)).rows).toEqual((await rows(first)).rows);
  }, 120_000);

  it('refuses a count or seed out of range, and records one event per run without people or diagnoses', async () => {
    await expect(generateSettlements(first.db, SYSTEM, { count: 10, seed: 1 })).rejects.toMatchObject({
      code: 'FUND_GENERATE_INVALID',
    });
    await expect(generateSettlements(first.db, SYSTEM, { count: 1000, seed: -1 })).rejects.toMatchObject({
      code: 'FUND_GENERATE_INVALID',
    });
    // Only the demo and the tests generate: no other system reason, and no signed-in account (review G23).
    await expect(
      generateSettlements(first.db, systemContext('jobs'), { count: 1000, seed: 3 }),
    ).rejects.toMatchObject({ code: 'FUND_GENERATE_INVALID' });
    const events = await sql<{ payload: unknown }>`
      select payload from integrity_event where action = 'fund.settlements_generated'`.execute(first.db);
    expect(events.rows).toHaveLength(1);
    const text = String(events.rows[0]?.payload);
    expect(JSON.parse(text)).toMatchObject({ seed: 27, settlements: 3000, lines: result.lines });
    expect(text).not.toMatch(/\d{17}[\dX]|J18|E11/);
  });
});
