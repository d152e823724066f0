import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { EnrollmentEnd, Scheme } from './ledgers.tables.js';
import type { BlockKeys } from './roster.keys.js';

// The SQL of importing a roster extract: who is there already, their enrollments, and the updates.
// Inserts of new people and enrollments go through roster.repo.

/** Roster writers take turns: two imports of the same people would otherwise both insert them. */
export async function lockRoster(db: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('yidang.insured_roster'))`.execute(db);
}

export interface StoredPerson {
  id: number;
  idIndex: string;
  name: string;
  address: string | null;
}

export async function peopleByIdIndex(
  db: Db,
  indexes: readonly string[],
): Promise<Map<string, StoredPerson>> {
  const found = new Map<string, StoredPerson>();
  if (indexes.length === 0) return found;
  const rows = await db
    .selectFrom('insured_person')
    .select(['id', 'id_index as idIndex', 'name', 'address'])
    .where(sql<boolean>`id_index = any(${sql.val([...indexes])}::char(32)[])`)
    .execute();
  for (const row of rows) found.set(row.idIndex, { ...row, id: Number(row.id) });
  return found;
}

export interface PersonUpdate {
  id: number;
  name: string;
  address: string | null;
  keys: BlockKeys;
}

// Updates go as one jsonb parameter expanded by the server: a statement per person cost a newer
// extract with every address changed twice the time of the first import.
export async function updatePeople(db: Db, updates: readonly PersonUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  const rows = updates.map((update) => ({
    id: update.id,
    name: update.name,
    address: update.address,
    region_birth: update.keys.regionBirth,
    birth_seq: update.keys.birthSeq,
    name_region: update.keys.nameRegion,
    name_seq: update.keys.nameSeq,
  }));
  await sql`
    update insured_person p set name = u.name, address = u.address,
      key_region_birth = u.region_birth, key_birth_seq = u.birth_seq,
      key_name_region = u.name_region, key_name_seq = u.name_seq
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as u(id bigint, name text, address text,
      region_birth bigint, birth_seq bigint, name_region bigint, name_seq bigint)
    where p.id = u.id`.execute(db);
}

export interface StoredEnrollment {
  id: number;
  personId: number;
  scheme: Scheme;
  employer: string | null;
  startedOn: string;
  paidThrough: string | null;
  endedOn: string | null;
  endReason: EnrollmentEnd | null;
}

export async function enrollmentsOf(db: Db, personIds: readonly number[]): Promise<StoredEnrollment[]> {
  if (personIds.length === 0) return [];
  const rows = await db
    .selectFrom('enrollment')
    .select([
      'id',
      'person_id as personId',
      'scheme',
      'employer',
      'started_on as startedOn',
      'paid_through as paidThrough',
      'ended_on as endedOn',
      'end_reason as endReason',
    ])
    .where(sql<boolean>`person_id = any(${sql.val([...personIds])}::bigint[])`)
    .execute();
  return rows.map((row) => ({ ...row, id: Number(row.id), personId: Number(row.personId) }));
}

export async function updateEnrollments(db: Db, updates: readonly StoredEnrollment[]): Promise<void> {
  if (updates.length === 0) return;
  const rows = updates.map((update) => ({
    id: update.id,
    employer: update.employer,
    paid_through: update.paidThrough,
    ended_on: update.endedOn,
    end_reason: update.endReason,
  }));
  await sql`
    update enrollment e set employer = u.employer, paid_through = u.paid_through,
      ended_on = u.ended_on, end_reason = u.end_reason
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as u(id bigint, employer text,
      paid_through date, ended_on date, end_reason text)
    where e.id = u.id`.execute(db);
}
