import { type Kysely, sql } from 'kysely';

// Crypto-shredding (storage): a blob whose data key was destroyed keeps its row as evidence — the
// wrapped key emptied, when and under which 销毁清册, the signed shred record as written to every
// replica, and when every replica confirmed its copy deleted. An attachment of a destroyed item is
// marked with the register, so a blob it shares with a live item is kept for that item.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`alter table storage_blob add column shredded_at timestamptz`,
    sql`alter table storage_blob add column shred_register varchar(40)`,
    sql`alter table storage_blob add column shred_record text`,
    sql`alter table storage_blob add column shred_confirmed_at timestamptz`,
    sql`create index storage_blob_shred_pending on storage_blob (shred_register) where shredded_at is not null and shred_confirmed_at is null`,
    sql`alter table item_file add column destroyed_register varchar(40)`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table item_file drop column if exists destroyed_register`.execute(db);
  await sql`drop index if exists storage_blob_shred_pending`.execute(db);
  for (const column of ['shred_confirmed_at', 'shred_record', 'shred_register', 'shredded_at'])
    await sql`alter table storage_blob drop column if exists ${sql.ref(column)}`.execute(db);
}
