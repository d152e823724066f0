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

export async function updatePeople(db: Db, updates: readonly PersonUpdate[]): Promise<void> {
  for (const update of updates)
    await db
      .updateTable('insured_person')
      .set({
        name: update.name,
        address: update.address,
        key_region_birth: update.keys.regionBirth,
        key_birth_seq: update.keys.birthSeq,
        key_name_region: update.keys.nameRegion,
        key_name_seq: update.keys.nameSeq,
      })
      .where('id', '=', update.id)
      .execute();
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
  for (const update of updates)
    await db
      .updateTable('enrollment')
      .set({
        employer: update.employer,
        paid_through: update.paidThrough,
        ended_on: update.endedOn,
        end_reason: update.endReason,
      })
      .where('id', '=', update.id)
      .execute();
}
