import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { PrincipalContext } from '../../shared/access-context.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import type { Scheme } from './ledgers.tables.js';
import type { BlockKeys } from './roster.keys.js';
import { BLOCK_COLUMNS } from './roster.keys.js';
import type {
  RosterCertificate,
  RosterContribution,
  RosterEnrollment,
  RosterSettlement,
  RosterStatus,
} from './roster.person.js';

// The only SQL of the roster: loading people and their records in batches, and the look-ups that
// reconciliation makes (by blind index, by blocking key) and enrollment as of a day.

export interface PersonInsert {
  idNumber: string; // sealed
  idIndex: string;
  name: string;
  regionCode: string;
  address: string | null;
  keys: BlockKeys;
}

/** Inserts people and answers each one's row id by blind index (ids come back in no promised order). */
export async function insertPeople(db: Db, people: readonly PersonInsert[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  if (people.length === 0) return ids;
  const rows = await db
    .insertInto('insured_person')
    .values(
      people.map((person) => ({
        id_number: person.idNumber,
        id_index: person.idIndex,
        name: person.name,
        region_code: person.regionCode,
        address: person.address,
        key_region_birth: person.keys.regionBirth,
        key_birth_seq: person.keys.birthSeq,
        key_name_region: person.keys.nameRegion,
        key_name_seq: person.keys.nameSeq,
      })),
    )
    .returning(['id', 'id_index'])
    .execute();
  for (const row of rows) ids.set(row.id_index, Number(row.id));
  return ids;
}

/** A person's records as stored: each row names the person it belongs to. */
type OfPerson<T> = Array<T & { personId: number }>;

export interface PersonRecords {
  enrollments: OfPerson<RosterEnrollment>;
  statuses: OfPerson<RosterStatus>;
  contributions: OfPerson<RosterContribution>;
  settlements: OfPerson<RosterSettlement>;
  certificates: OfPerson<RosterCertificate>;
}

// Parameters per statement stay well under PostgreSQL's 65,535.
const CHUNK = 4000;

async function inChunks<T>(rows: readonly T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) await write(rows.slice(start, start + CHUNK));
}

export async function insertRecords(db: Db, records: PersonRecords): Promise<void> {
  await inChunks(records.enrollments, (chunk) =>
    db
      .insertInto('enrollment')
      .values(
        chunk.map((row) => ({
          person_id: row.personId,
          scheme: row.scheme,
          employer: row.employer,
          started_on: row.startedOn,
          paid_through: row.paidThrough,
          ended_on: row.endedOn,
          end_reason: row.endReason,
        })),
      )
      .execute(),
  );
  await inChunks(records.statuses, (chunk) =>
    db
      .insertInto('assistance_status')
      .values(
        chunk.map((row) => ({
          person_id: row.personId,
          identity: row.identity,
          source: row.source,
          included_on: row.includedOn,
          exited_on: row.exitedOn,
        })),
      )
      .execute(),
  );
  await inChunks(records.contributions, (chunk) =>
    db
      .insertInto('contribution')
      .values(
        chunk.map((row) => ({
          person_id: row.personId,
          scheme: row.scheme,
          period_year: row.periodYear,
          paid_on: row.paidOn,
          amount: row.amount,
          subsidy: row.subsidy,
        })),
      )
      .execute(),
  );
  await inChunks(records.settlements, (chunk) =>
    db
      .insertInto('assistance_settlement')
      .values(
        chunk.map((row) => ({
          person_id: row.personId,
          visit_type: row.visitType,
          institution: row.institution,
          visit_start: row.visitStart,
          visit_end: row.visitEnd,
          settled_on: row.settledOn,
          total_cost: row.totalCost,
          insurance_paid: row.insurancePaid,
          assistance_paid: row.assistancePaid,
          critical_paid: row.criticalPaid,
          reassistance_paid: row.reassistancePaid,
        })),
      )
      .execute(),
  );
  await inChunks(records.certificates, (chunk) =>
    db
      .insertInto('disease_certificate')
      .values(
        chunk.map((row) => ({
          person_id: row.personId,
          kind: row.kind,
          disease: row.disease,
          issued_on: row.issuedOn,
          revoked_on: row.revokedOn,
        })),
      )
      .execute(),
  );
}

export async function countPeople(db: Db): Promise<number> {
  const row = await db
    .selectFrom('insured_person')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export interface RosterCandidate {
  id: number;
  idNumber: string; // sealed
  idIndex: string;
  name: string;
}

const candidateColumns = ['id', 'id_number as idNumber', 'id_index as idIndex', 'name'] as const;

/** People registered in the regions (region-code prefixes; null: everyone, none: nobody). */
const inRegions = (regions: readonly string[] | null) =>
  regions === null
    ? sql<boolean>`true`
    : regions.length === 0
      ? sql<boolean>`false`
      : sql<boolean>`(${sql.join(
          regions.map((prefix) => sql`region_code like ${`${prefix}%`}`),
          sql` or `,
        )})`;

export async function findByIdIndexes(
  db: Db,
  indexes: readonly string[],
  regions: readonly string[] | null = null,
): Promise<RosterCandidate[]> {
  const found: RosterCandidate[] = [];
  for (let start = 0; start < indexes.length; start += 20_000) {
    const chunk = indexes.slice(start, start + 20_000);
    const rows = await db
      .selectFrom('insured_person')
      .select(candidateColumns)
      .where(sql<boolean>`id_index = any(${sql.val(chunk)}::char(32)[])`)
      .where(inRegions(regions))
      .execute();
    for (const row of rows) found.push({ ...row, id: Number(row.id) });
  }
  return found;
}

/** Everyone sharing any of the given values of one blocking key, with the key's value. */
export async function findByBlockKey(
  db: Db,
  key: keyof BlockKeys,
  values: readonly number[],
  regions: readonly string[] | null = null,
): Promise<Array<RosterCandidate & { key: number }>> {
  const column = BLOCK_COLUMNS[key];
  const found: Array<RosterCandidate & { key: number }> = [];
  for (let start = 0; start < values.length; start += 20_000) {
    const chunk = values.slice(start, start + 20_000);
    const rows = await db
      .selectFrom('insured_person')
      .select([...candidateColumns, sql<number>`${sql.ref(column)}`.as('key')])
      .where(sql<boolean>`${sql.ref(column)} = any(${sql.val(chunk)}::bigint[])`)
      .where(inRegions(regions))
      .execute();
    for (const row of rows) found.push({ ...row, id: Number(row.id), key: Number(row.key) });
  }
  return found;
}

export interface EnrollmentOnDay {
  personId: number;
  scheme: Scheme;
  startedOn: string;
}

/** Each given person's enrollment in force on `day` (the latest started, if two overlap). */
export async function enrollmentsOn(
  db: Db,
  personIds: readonly number[],
  day: string,
): Promise<Map<number, EnrollmentOnDay>> {
  const result = new Map<number, EnrollmentOnDay>();
  for (let start = 0; start < personIds.length; start += 20_000) {
    const chunk = personIds.slice(start, start + 20_000);
    const rows = await db
      .selectFrom('enrollment')
      .select(['person_id as personId', 'scheme', 'started_on as startedOn'])
      .where(sql<boolean>`person_id = any(${sql.val(chunk)}::bigint[])`)
      .where('started_on', '<=', day)
      .where((eb) => eb.or([eb('ended_on', 'is', null), eb('ended_on', '>', day)]))
      .orderBy('started_on')
      .execute();
    for (const row of rows) result.set(Number(row.personId), { ...row, personId: Number(row.personId) });
  }
  return result;
}

/** One person's own records in the roster, as their self-service window shows them (newest first). */
export interface OwnRosterRecords {
  enrollments: Array<{
    scheme: string;
    employer: string | null;
    startedOn: string;
    paidThrough: string | null;
    endedOn: string | null;
    endReason: string | null;
  }>;
  contributions: Array<{
    scheme: string;
    periodYear: number;
    paidOn: string;
    amount: string;
    subsidy: string;
  }>;
  settlements: Array<{
    visitType: string;
    institution: string;
    visitStart: string;
    visitEnd: string;
    settledOn: string;
    totalCost: string;
    insurancePaid: string;
    assistancePaid: string;
  }>;
  statuses: Array<{ identity: string; source: string; includedOn: string; exitedOn: string | null }>;
}

/**
 * The roster's records of the signed-in person (empty when the roster does not hold them, or the account
 * names no ID number), at most `limit` of each. Whose records comes from the principal's own scope, so no
 * caller can ask for someone else's by passing a key.
 */
export async function ownRosterRecords(
  db: Db,
  access: PrincipalContext,
  limit = 200,
): Promise<OwnRosterRecords> {
  const none: OwnRosterRecords = { enrollments: [], contributions: [], settlements: [], statuses: [] };
  const idIndex = idNumberIndex(access.scope.idNumber);
  if (!idIndex) return none;
  const result = await sql<{ records: OwnRosterRecords | null }>`
    select json_build_object(
      'enrollments', coalesce((select json_agg(x) from (select e.scheme, e.employer, e.started_on as "startedOn",
          e.paid_through as "paidThrough", e.ended_on as "endedOn", e.end_reason as "endReason"
        from enrollment e where e.person_id = p.id order by e.started_on desc limit ${limit}) x), '[]'::json),
      'contributions', coalesce((select json_agg(x) from (select c.scheme, c.period_year as "periodYear",
          c.paid_on as "paidOn", c.amount::text as amount, c.subsidy::text as subsidy
        from contribution c where c.person_id = p.id order by c.period_year desc, c.paid_on desc limit ${limit}) x), '[]'::json),
      'settlements', coalesce((select json_agg(x) from (select s.visit_type as "visitType", s.institution,
          s.visit_start as "visitStart", s.visit_end as "visitEnd", s.settled_on as "settledOn",
          s.total_cost::text as "totalCost", s.insurance_paid::text as "insurancePaid",
          s.assistance_paid::text as "assistancePaid"
        from assistance_settlement s where s.person_id = p.id order by s.settled_on desc limit ${limit}) x), '[]'::json),
      'statuses', coalesce((select json_agg(x) from (select a.identity, a.source, a.included_on as "includedOn",
          a.exited_on as "exitedOn"
        from assistance_status a where a.person_id = p.id order by a.included_on desc limit ${limit}) x), '[]'::json)
    ) as records
    from insured_person p where p.id_index = ${idIndex} limit 1`.execute(db);
  return result.rows[0]?.records ?? none;
}
