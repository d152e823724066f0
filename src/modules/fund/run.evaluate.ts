import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { RuleParams } from './rule.tables.js';
import type { RuleDefinition, RuleScope } from './rules/types.js';

// One rule over one run's settlements, as one INSERT … SELECT: the rule's statement yields the hits,
// and each becomes a clue with its evidence (the settlements' headers and the lines behind the hit,
// read by primary key for the hits only) and a fingerprint over the rule, its revision and version,
// the settlements' serials and the hit's key — the same data and versions give the same clues.

/** The condition selecting settlement rows (aliased) of a run: region prefix and settlement dates. */
export const inRunOf = (scope: RuleScope) => (alias: string) =>
  sql<boolean>`(${sql.ref(`${alias}.region`)} like ${`${scope.regionPrefix}%`} and ${sql.ref(`${alias}.settled_on`)} between ${scope.from}::date and ${scope.to}::date)`;

/** The statement of a rule's hits alone (for tests and the bench). */
export const ruleHits = (rule: RuleDefinition, params: RuleParams, scope: RuleScope) =>
  rule.hits(params, inRunOf(scope));

const WORK_MEM = '256MB';

export interface RuleRun {
  runId: number;
  rule: RuleDefinition;
  version: number;
  params: RuleParams;
  scope: RuleScope;
}

/** Replaces the run's clues of the rule with those found now; returns how many. */
export async function evaluateRule(trx: Db, run: RuleRun): Promise<number> {
  const { runId, rule, version, params, scope } = run;
  // The rules group and sort millions of lines: room for their hash tables and sorts in memory, for
  // this transaction only (the default 4 MB spills them to disk many times over).
  await sql`set local work_mem = '${sql.raw(WORK_MEM)}'`.execute(trx);
  await sql`delete from fund_clue where run_id = ${runId} and rule_code = ${rule.code}`.execute(trx);
  await sql`
    insert into fund_clue (run_id, rule_code, rule_version, params, settlement_ids, serials, person_key,
      institution_code, region, amount, evidence, fingerprint)
    select ${runId}::integer, ${rule.code}, ${version}::integer, ${JSON.stringify(params)}::jsonb, h.settlement_ids,
      sv.serials, h.person_key, h.institution_code, h.region, round(coalesce(h.amount, 0), 2),
      jsonb_build_object('summary', h.note, 'settlements', sv.settlements, 'lines', coalesce(lv.lines, '[]'::jsonb)),
      encode(sha256(convert_to(concat_ws('|', ${rule.code}::text, ${String(rule.revision)}::text,
        ${String(version)}::text, array_to_string(sv.sorted, ','), h.hit_key), 'UTF8')), 'hex')
    from (${ruleHits(rule, params, scope)}) h
    cross join lateral (
      select array_agg(s.serial order by array_position(h.settlement_ids, s.id)) as serials,
        array_agg(s.serial order by s.serial) as sorted,
        jsonb_agg(jsonb_build_object('serial', s.serial, 'institutionCode', s.institution_code,
          'institutionName', s.institution_name, 'institutionLevel', s.institution_level, 'visitType', s.visit_type,
          'admitDate', s.admit_date, 'dischargeDate', s.discharge_date, 'primaryDx', s.primary_dx,
          'otherDx', s.other_dx, 'totalCost', s.total_cost, 'fundPaid', s.fund_paid, 'selfPaid', s.self_paid,
          'settledOn', s.settled_on) order by array_position(h.settlement_ids, s.id)) as settlements
      from fund_settlement s where s.id = any (h.settlement_ids)
    ) sv
    left join lateral (
      select jsonb_agg(jsonb_build_object('serial', s.serial, 'lineNo', l.line_no, 'date', l.line_date,
          'category', l.item_category, 'itemCode', l.item_code, 'itemName', l.item_name, 'quantity', l.quantity,
          'unitPrice', l.unit_price, 'amount', l.amount, 'daysSupply', l.days_supply) order by r.ord) as lines
      from jsonb_array_elements(h.line_refs) with ordinality as r(ref, ord)
        join fund_settlement_line l on l.settlement_id = (r.ref ->> 0)::bigint and l.line_no = (r.ref ->> 1)::integer
        join fund_settlement s on s.id = l.settlement_id
    ) lv on true
    on conflict (run_id, fingerprint) do nothing`.execute(trx);
  const { rows } = await sql<{ n: number }>`
    select count(*)::integer as n from fund_clue where run_id = ${runId} and rule_code = ${rule.code}`.execute(
    trx,
  );
  return rows[0]?.n ?? 0;
}
