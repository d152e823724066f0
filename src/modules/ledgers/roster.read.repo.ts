import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { openIdNumber } from '../../shared/field-cipher.js';
import type { Regions } from './ledger.repo.js';
import type { EnrollmentEnd, Scheme, VisitType } from './ledgers.tables.js';

// The roster read one person, enrollment or settlement at a time, for the FHIR interface (Patient,
// Coverage, Claim): keyed by id order for paging, always inside the regions the caller's scope reaches
// (ledger.reach.ts rosterRegions), so a person outside them is simply not found.

const inRegions = (regions: Regions): RawBuilder<unknown> =>
  regions === null
    ? sql`true`
    : regions.length === 0
      ? sql`false`
      : sql`(${sql.join(
          regions.map((prefix) => sql`p.region_code like ${`${prefix}%`}`),
          sql` or `,
        )})`;

const day = (column: string) => sql`to_char(${sql.ref(column)}, 'YYYY-MM-DD')`;

/** Conditions joined with `and` (true when none). */
const all = (parts: RawBuilder<unknown>[]) => (parts.length ? sql.join(parts, sql` and `) : sql`true`);

export interface RosterPage {
  regions: Regions;
  /** Only these ids (a read by id). */
  ids?: readonly number[];
  /** Only the person with this blind index. */
  personIndex?: string;
  afterId?: number;
  limit: number;
}

export interface RosterPersonRow {
  id: number;
  /** In the clear: the caller masks it unless the reader may and chose to see it. */
  idNumber: string;
  idIndex: string;
  name: string;
  regionCode: string;
  address: string | null;
}

export async function rosterPeople(
  db: Db,
  page: Omit<RosterPage, 'ids'> & { indexes?: readonly string[] },
): Promise<RosterPersonRow[]> {
  const where = [inRegions(page.regions)];
  if (page.indexes)
    where.push(page.indexes.length ? sql`p.id_index in (${sql.join(page.indexes)})` : sql`false`);
  if (page.afterId !== undefined) where.push(sql`p.id > ${page.afterId}`);
  const rows = await sql<{
    id: number;
    id_number: string;
    id_index: string;
    name: string;
    region_code: string;
    address: string | null;
  }>`select p.id, p.id_number, p.id_index, p.name, p.region_code, p.address from insured_person p
    where ${all(where)} order by p.id limit ${page.limit}`.execute(db);
  return rows.rows.map((row) => ({
    id: Number(row.id),
    idNumber: openIdNumber(row.id_number) as string,
    idIndex: row.id_index,
    name: row.name,
    regionCode: row.region_code,
    address: row.address,
  }));
}

/** The person columns every record row carries (its beneficiary or patient). */
interface PersonOf {
  personIndex: string;
  personName: string;
  regionCode: string;
}

export interface RosterEnrollmentRow extends PersonOf {
  id: number;
  scheme: Scheme;
  employer: string | null;
  startedOn: string;
  paidThrough: string | null;
  endedOn: string | null;
  endReason: EnrollmentEnd | null;
}

/** Enrollments whose period overlaps [from, to] (either end open), of the given schemes. */
export async function rosterEnrollments(
  db: Db,
  page: RosterPage & { schemes?: readonly Scheme[]; from?: string; to?: string },
): Promise<RosterEnrollmentRow[]> {
  const where = recordConditions(page, 'e');
  if (page.schemes)
    where.push(page.schemes.length ? sql`e.scheme in (${sql.join(page.schemes)})` : sql`false`);
  if (page.to !== undefined) where.push(sql`e.started_on <= ${page.to}::date`);
  if (page.from !== undefined) where.push(sql`(e.ended_on is null or e.ended_on >= ${page.from}::date)`);
  const rows =
    await sql<RosterEnrollmentRow>`select e.id, p.id_index as "personIndex", p.name as "personName",
      p.region_code as "regionCode", e.scheme, e.employer, ${day('e.started_on')} as "startedOn",
      ${day('e.paid_through')} as "paidThrough", ${day('e.ended_on')} as "endedOn", e.end_reason as "endReason"
    from enrollment e join insured_person p on p.id = e.person_id
    where ${all(where)} order by e.id limit ${page.limit}`.execute(db);
  return rows.rows.map((row) => ({ ...row, id: Number(row.id) }));
}

export interface RosterSettlementRow extends PersonOf {
  id: number;
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
  /** The enrollment in force when the visit began, if the roster has one. */
  coverageId: number | null;
}

/** Medical-assistance settlements settled within [from, to] (either end open), of the given visit types. */
export async function rosterSettlements(
  db: Db,
  page: RosterPage & { visitTypes?: readonly VisitType[]; from?: string; to?: string },
): Promise<RosterSettlementRow[]> {
  const where = recordConditions(page, 's');
  if (page.visitTypes)
    where.push(page.visitTypes.length ? sql`s.visit_type in (${sql.join(page.visitTypes)})` : sql`false`);
  if (page.from !== undefined) where.push(sql`s.settled_on >= ${page.from}::date`);
  if (page.to !== undefined) where.push(sql`s.settled_on <= ${page.to}::date`);
  const rows =
    await sql<RosterSettlementRow>`select s.id, p.id_index as "personIndex", p.name as "personName",
      p.region_code as "regionCode", s.visit_type as "visitType", s.institution,
      ${day('s.visit_start')} as "visitStart", ${day('s.visit_end')} as "visitEnd", ${day('s.settled_on')} as "settledOn",
      s.total_cost::text as "totalCost", s.insurance_paid::text as "insurancePaid",
      s.assistance_paid::text as "assistancePaid", s.critical_paid::text as "criticalPaid",
      s.reassistance_paid::text as "reassistancePaid",
      (select e.id from enrollment e where e.person_id = p.id and e.started_on <= s.visit_start
        and (e.ended_on is null or e.ended_on >= s.visit_start) order by e.started_on desc limit 1) as "coverageId"
    from assistance_settlement s join insured_person p on p.id = s.person_id
    where ${all(where)} order by s.id limit ${page.limit}`.execute(db);
  return rows.rows.map((row) => ({
    ...row,
    id: Number(row.id),
    coverageId: row.coverageId === null ? null : Number(row.coverageId),
  }));
}

function recordConditions(page: RosterPage, alias: 'e' | 's'): RawBuilder<unknown>[] {
  const id = sql.ref(`${alias}.id`);
  const where = [inRegions(page.regions)];
  if (page.ids) where.push(page.ids.length ? sql`${id} in (${sql.join([...page.ids])})` : sql`false`);
  if (page.personIndex !== undefined) where.push(sql`p.id_index = ${page.personIndex}`);
  if (page.afterId !== undefined) where.push(sql`${id} > ${page.afterId}`);
  return where;
}
