import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { AssistanceIdentity, CertificateKind, Scheme, VisitType } from './ledgers.tables.js';

// The only SQL of the four ledgers. Every figure on a cover is counted here from the rows, never typed.
// Each query takes the regions the caller may see (region-code prefixes; null: all) and counts and
// lists only people registered there.

/** Region-code prefixes a ledger is restricted to; null for every region. */
export type Regions = readonly string[] | null;

/** `p.region_code` within the regions (always true for null, false for none). */
const inRegions = (regions: Regions, column = 'p.region_code') =>
  regions === null
    ? sql`true`
    : regions.length === 0
      ? sql`false`
      : sql`(${sql.join(
          regions.map((prefix) => sql`${sql.ref(column)} like ${`${prefix}%`}`),
          sql` or `,
        )})`;

/** People under assistance on `day`: included on or before it, not yet exited. */
const activeOn = (day: string) =>
  sql<boolean>`s.included_on <= ${day}::date and (s.exited_on is null or s.exited_on > ${day}::date)`;

/** The enrollment in force on `day` for person p (the latest started, if two overlap). */
const enrollmentOn = (day: string) => sql`left join lateral (
    select e.scheme, e.employer, e.started_on, e.paid_through from enrollment e
    where e.person_id = p.id and e.started_on <= ${day}::date and (e.ended_on is null or e.ended_on > ${day}::date)
    order by e.started_on desc limit 1) e on true`;

export interface EnrollmentLedgerRow {
  personId: number;
  idNumber: string; // sealed
  name: string;
  address: string | null;
  identity: AssistanceIdentity;
  includedOn: string;
  scheme: Scheme | null;
  employer: string | null;
  startedOn: string | null;
  paidThrough: string | null;
}

export async function enrollmentLedger(
  db: Db,
  asOf: string,
  regions: Regions,
): Promise<EnrollmentLedgerRow[]> {
  // One row per person: someone under two identities at once is listed under the latest one.
  const result = await sql<EnrollmentLedgerRow & { regionCode: string }>`
    select * from (
      select distinct on (p.id) p.id as "personId", p.id_number as "idNumber", p.name, p.address,
        p.region_code as "regionCode", s.identity, s.included_on::text as "includedOn", e.scheme, e.employer,
        e.started_on::text as "startedOn", e.paid_through::text as "paidThrough"
      from assistance_status s join insured_person p on p.id = s.person_id
      ${enrollmentOn(asOf)}
      where ${activeOn(asOf)} and ${inRegions(regions)}
      order by p.id, s.included_on desc) people
    order by "regionCode", identity, "personId"`.execute(db);
  return result.rows.map(({ regionCode: _region, ...row }) => ({ ...row, personId: Number(row.personId) }));
}

export async function countActive(db: Db, day: string, regions: Regions): Promise<number> {
  const result = await sql<{ count: string }>`
    select count(distinct s.person_id) as count from assistance_status s join insured_person p on p.id = s.person_id
    where ${activeOn(day)} and ${inRegions(regions)}`.execute(db);
  return Number(result.rows[0]?.count ?? 0);
}

export interface MovementRow {
  personId: number;
  idNumber: string;
  name: string;
  address: string | null;
  identity: AssistanceIdentity;
  includedOn: string;
  exitedOn: string | null;
  scheme: Scheme | null;
  employer: string | null;
  startedOn: string | null;
  /** The contribution for the month's year: when paid, or null. */
  paidOn: string | null;
  amount: string | null;
  subsidy: string | null;
}

/** People included (or exited) within [from, to], with enrollment on `to` and that year's contribution. */
export async function movements(
  db: Db,
  kind: 'included' | 'exited',
  from: string,
  to: string,
  regions: Regions,
): Promise<MovementRow[]> {
  const column = sql.ref(kind === 'included' ? 's.included_on' : 's.exited_on');
  // Exits are shown with the enrollment they left with, the day before the exit.
  const enrolledDay = kind === 'included' ? sql`${to}::date` : sql`s.exited_on - 1`;
  // One row per person, on the latest such day of the month.
  const result = await sql<MovementRow>`
    select distinct on (${column}, p.id) p.id as "personId", p.id_number as "idNumber", p.name, p.address, s.identity,
      s.included_on::text as "includedOn", s.exited_on::text as "exitedOn",
      e.scheme, e.employer, e.started_on::text as "startedOn",
      c.paid_on::text as "paidOn", c.amount::text as amount, c.subsidy::text as subsidy
    from assistance_status s join insured_person p on p.id = s.person_id
    left join lateral (
      select e.scheme, e.employer, e.started_on from enrollment e
      where e.person_id = p.id and e.started_on <= ${enrolledDay} and (e.ended_on is null or e.ended_on > ${enrolledDay})
      order by e.started_on desc limit 1) e on true
    left join lateral (
      select c.paid_on, c.amount, c.subsidy from contribution c
      where c.person_id = p.id and c.period_year = extract(year from ${to}::date)::int
      order by c.paid_on limit 1) c on true
    where ${column} between ${from}::date and ${to}::date and ${inRegions(regions)}
      and not exists (select 1 from assistance_status o where o.person_id = p.id and o.id <> s.id
        and ${kind === 'included' ? sql`o.included_on < s.included_on and (o.exited_on is null or o.exited_on >= s.included_on)` : sql`o.included_on <= s.exited_on and (o.exited_on is null or o.exited_on > s.exited_on)`})
    order by ${column}, p.id`.execute(db);
  return result.rows.map((row) => ({ ...row, personId: Number(row.personId) }));
}

export interface EmployeeRow {
  personId: number;
  idNumber: string;
  name: string;
  identity: AssistanceIdentity;
  employer: string | null;
  startedOn: string;
  paidThrough: string | null;
  endedOn: string | null;
  endReason: string | null;
  /** When resident insurance began after a switch. */
  residentFrom: string | null;
}

/** People under assistance in the month who held employee insurance in it (参保职工人员). */
export async function employeeInsured(
  db: Db,
  from: string,
  to: string,
  regions: Regions,
): Promise<EmployeeRow[]> {
  const result = await sql<EmployeeRow>`
    select p.id as "personId", p.id_number as "idNumber", p.name, s.identity, e.employer,
      e.started_on::text as "startedOn", e.paid_through::text as "paidThrough",
      e.ended_on::text as "endedOn", e.end_reason as "endReason",
      (select min(r.started_on)::text from enrollment r where r.person_id = p.id and r.scheme = 'resident'
        and e.ended_on is not null and r.started_on > e.ended_on) as "residentFrom"
    from enrollment e join insured_person p on p.id = e.person_id
    join lateral (select s.identity from assistance_status s where s.person_id = p.id
      and s.included_on <= ${to}::date and (s.exited_on is null or s.exited_on >= ${from}::date)
      order by s.included_on desc limit 1) s on true
    where ${inRegions(regions)} and e.scheme = 'employee' and e.started_on <= ${to}::date and (e.ended_on is null or e.ended_on >= ${from}::date)
    order by p.id, e.started_on`.execute(db);
  return result.rows.map((row) => ({ ...row, personId: Number(row.personId) }));
}

export interface SettlementRow {
  idNumber: string;
  name: string;
  identity: AssistanceIdentity;
  visitType: VisitType;
  institution: string;
  visitStart: string;
  visitEnd: string;
  settledOn: string;
  totalCost: string;
  insurancePaid: string;
  assistancePaid: string;
  criticalPaid: string;
  reassistancePaid: string;
}

/** Visits that overlap a period under assistance; one identity each (the latest included). */
const settlementsOf = (from: string, to: string, regions: Regions) => sql`
    from assistance_settlement a join insured_person p on p.id = a.person_id
    join lateral (select s.identity from assistance_status s where s.person_id = p.id
      and s.included_on <= a.visit_end and (s.exited_on is null or s.exited_on > a.visit_start)
      order by s.included_on desc limit 1) s on true
    where a.settled_on between ${from}::date and ${to}::date and ${inRegions(regions)}`;

export async function settlements(
  db: Db,
  from: string,
  to: string,
  regions: Regions,
): Promise<SettlementRow[]> {
  const result = await sql<SettlementRow>`
    select p.id_number as "idNumber", p.name, s.identity, a.visit_type as "visitType", a.institution,
      a.visit_start::text as "visitStart", a.visit_end::text as "visitEnd", a.settled_on::text as "settledOn",
      a.total_cost::text as "totalCost", a.insurance_paid::text as "insurancePaid",
      a.assistance_paid::text as "assistancePaid", a.critical_paid::text as "criticalPaid",
      a.reassistance_paid::text as "reassistancePaid"
    ${settlementsOf(from, to, regions)}
    order by a.settled_on, a.id`.execute(db);
  return result.rows;
}

export interface SettlementTotals {
  visits: number;
  people: number;
  outpatient: number;
  inpatient: number;
  totalCost: string;
  insurancePaid: string;
  assistancePaid: string;
  criticalPaid: string;
  reassistancePaid: string;
  /** 医疗救助 + 重特大疾病医疗救助 + 再救助. */
  assistanceTotal: string;
}

export async function settlementTotals(
  db: Db,
  from: string,
  to: string,
  regions: Regions,
): Promise<SettlementTotals> {
  const result = await sql<SettlementTotals>`
    select count(*)::int as visits, count(distinct p.id)::int as people,
      count(*) filter (where a.visit_type = 'outpatient')::int as outpatient,
      count(*) filter (where a.visit_type = 'inpatient')::int as inpatient,
      coalesce(sum(a.total_cost), 0)::text as "totalCost", coalesce(sum(a.insurance_paid), 0)::text as "insurancePaid",
      coalesce(sum(a.assistance_paid), 0)::text as "assistancePaid", coalesce(sum(a.critical_paid), 0)::text as "criticalPaid",
      coalesce(sum(a.reassistance_paid), 0)::text as "reassistancePaid",
      coalesce(sum(a.assistance_paid + a.critical_paid + a.reassistance_paid), 0)::text as "assistanceTotal"
    ${settlementsOf(from, to, regions)}`.execute(db);
  return result.rows[0] as SettlementTotals;
}

export interface CertificateRow {
  personId: number;
  idNumber: string;
  name: string;
  address: string | null;
  identity: AssistanceIdentity;
  kind: CertificateKind;
  disease: string;
  issuedOn: string;
}

/** Certificates in force on `asOf`, held by people under assistance on that day. */
export async function certificates(
  db: Db,
  kinds: readonly CertificateKind[],
  asOf: string,
  regions: Regions,
): Promise<CertificateRow[]> {
  const result = await sql<CertificateRow>`
    select p.id as "personId", p.id_number as "idNumber", p.name, p.address, s.identity, d.kind, d.disease,
      d.issued_on::text as "issuedOn"
    from disease_certificate d join insured_person p on p.id = d.person_id
    join lateral (select s.identity from assistance_status s where s.person_id = p.id and ${activeOn(asOf)}
      order by s.included_on desc limit 1) s on true
    where ${inRegions(regions)} and d.kind in (${sql.join(kinds.map((kind) => sql`${kind}`))})
      and d.issued_on <= ${asOf}::date and (d.revoked_on is null or d.revoked_on > ${asOf}::date)
    order by p.region_code, p.id, d.kind`.execute(db);
  return result.rows.map((row) => ({ ...row, personId: Number(row.personId) }));
}
