import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.js';

// The SQL of the anomaly measures: one aggregate pass over the settlements (or their lines) per
// measure, grouped by the subject (an institution within its 统筹区 and level, or an insured person
// with the 统筹区 of their enrolment). Only the aggregates leave the database; the robust statistics
// are computed over them in anomaly.service.ts. Period and region come in as a condition over `s`.

export type AnomalyKind = 'institution' | 'person';

export interface SettlementWindow {
  from: string;
  to: string;
  /** Region-code prefixes of the settlements read; null: every region. */
  regions: readonly string[] | null;
}

export interface SubjectValue {
  /** institution_code, or person_key. */
  key: string;
  name: string;
  /** 一级/二级/三级/未定级 for an institution; null for a person. */
  level: string | null;
  /** The peer region: the settlement's 统筹区 for an institution, the person's enrolment region for a person. */
  region: string;
  /** The person's sealed ID number (masked by the service), null for an institution. */
  sealed: string | null;
  value: number | null;
  /** How many settlements (or 住院 discharges for the readmission rate) the value rests on. */
  volume: number;
}

/** The settlement's region under one of the prefixes (none: nothing; null: everything). */
export function regionCondition(
  column: RawBuilder<unknown>,
  regions: readonly string[] | null,
): RawBuilder<SqlBool> {
  if (regions === null) return sql<SqlBool>`true`;
  if (regions.length === 0) return sql<SqlBool>`false`;
  return sql<SqlBool>`(${sql.join(
    regions.map((prefix) => sql`${column} like ${`${prefix}%`}`),
    sql` or `,
  )})`;
}

const inWindow = (window: SettlementWindow) =>
  sql<SqlBool>`s.settled_on between ${window.from}::date and ${window.to}::date and ${regionCondition(
    sql.ref('s.region'),
    window.regions,
  )}`;

/** The grouping columns of a kind, over settlement `s` (and person `p` for people). */
function subject(kind: AnomalyKind) {
  return kind === 'institution'
    ? {
        select: sql`s.institution_code as key, max(s.institution_name) as name, s.institution_level as level,
          s.region as region, null::text as sealed`,
        join: sql``,
        group: sql`s.institution_code, s.institution_level, s.region`,
      }
    : {
        select: sql`s.person_key as key, '' as name, null::text as level, p.region as region,
          p.id_number_sealed as sealed`,
        join: sql`join fund_person p on p.person_key = s.person_key`,
        group: sql`s.person_key, p.region, p.id_number_sealed`,
      };
}

interface Row {
  key: string;
  name: string;
  level: string | null;
  region: string;
  sealed: string | null;
  value: number | null;
  volume: number;
}

const toValues = (rows: readonly Row[]): SubjectValue[] =>
  rows.map((row) => ({
    key: row.key.trim(),
    name: row.name,
    level: row.level,
    region: row.region,
    sealed: row.sealed,
    value: row.value === null ? null : Number(row.value),
    volume: Number(row.volume),
  }));

/** 次均费用 and the visit count (for 每月就诊次数) in one pass over the settlement headers. */
export async function visitAggregates(
  db: Db,
  kind: AnomalyKind,
  window: SettlementWindow,
): Promise<SubjectValue[]> {
  const by = subject(kind);
  const { rows } = await sql<Row>`select ${by.select}, (sum(s.total_cost) / count(*))::float8 as value,
      count(*)::int as volume
    from fund_settlement s ${by.join}
    where ${inWindow(window)}
    group by ${by.group}`.execute(db);
  return toValues(rows);
}

/**
 * 30-day readmission rate of 住院: of the stays settled in the period, the share followed by the same
 * person's next 住院 (any institution of the regions read) admitted 0..days days after discharge. The
 * next stay may be admitted after the period, so stays admitted up to `days` days past it are read.
 */
export async function readmissionAggregates(
  db: Db,
  kind: AnomalyKind,
  window: SettlementWindow,
  days: number,
): Promise<SubjectValue[]> {
  const by = subject(kind);
  const { rows } = await sql<Row>`with stays as (
      select s.*, lead(s.admit_date) over (partition by s.person_key order by s.admit_date, s.id) as next_admit
      from fund_settlement s
      where s.visit_type = '住院' and s.settled_on >= ${window.from}::date
        and s.admit_date <= ${window.to}::date + ${days}::int
        and ${regionCondition(sql.ref('s.region'), window.regions)}
    )
    select ${by.select},
      (count(*) filter (where s.next_admit - s.discharge_date between 0 and ${days}::int))::float8 / count(*) as value,
      count(*)::int as volume
    from stays s ${by.join}
    where s.settled_on <= ${window.to}::date
    group by ${by.group}`.execute(db);
  return toValues(rows);
}

/** Amount share of the lines whose unit price is at least `threshold` yuan, one pass over the lines. */
export async function highPriceAggregates(
  db: Db,
  kind: AnomalyKind,
  window: SettlementWindow,
  threshold: number,
): Promise<SubjectValue[]> {
  const by = subject(kind);
  const { rows } = await sql<Row>`select ${by.select},
      (coalesce(sum(l.amount) filter (where l.unit_price >= ${threshold}::numeric), 0) / nullif(sum(l.amount), 0))::float8 as value,
      count(distinct l.settlement_id)::int as volume
    from fund_settlement_line l join fund_settlement s on s.id = l.settlement_id ${by.join}
    where ${inWindow(window)}
    group by ${by.group}`.execute(db);
  return toValues(rows);
}
