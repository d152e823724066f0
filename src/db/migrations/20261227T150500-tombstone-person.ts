import { type Kysely, sql } from 'kysely';

// A tombstone is 销毁中（待副本确认） until every replica confirmed its copies deleted
// (destroyed_confirmed_at; tombstones made before this column count as confirmed). It keeps the
// blind index of the person its record named (destroyed_person_index), apart from id_number_index
// (nulled, so no staff look-up by ID number finds it): only the person's own window reads it, to
// list their archive as 已销毁 with the register and the date, no content.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table archive_item add column destroyed_person_index char(32)`.execute(db);
  await sql`alter table archive_item add column destroyed_confirmed_at timestamptz`.execute(db);
  await sql`update archive_item set destroyed_confirmed_at = destroyed_at
    where destroyed_register is not null`.execute(db);
  await sql`create index archive_item_destroyed_person on archive_item (destroyed_person_index)
    where destroyed_person_index is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists archive_item_destroyed_person`.execute(db);
  await sql`alter table archive_item drop column if exists destroyed_confirmed_at`.execute(db);
  await sql`alter table archive_item drop column if exists destroyed_person_index`.execute(db);
}
