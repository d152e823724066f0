import { type Kysely, sql } from 'kysely';

// A file named with an ID number (business systems name files so) is shown and logged under its name
// with the number masked; the name as given is kept beside it, sealed under the field key, and is
// null when the two are the same. Names stored before are left as they are (the log holds them) and
// masked when shown.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table item_file add column original_name text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table item_file drop column if exists original_name`.execute(db);
}
