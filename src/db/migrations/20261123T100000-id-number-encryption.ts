import { type Kysely, sql } from 'kysely';

// ID numbers (身份证号) encrypted at rest: the column now holds "v1:…" ciphertext (longer than 18
// characters), and a blind index column carries the keyed hash that exact look-ups use. Values
// filed before this migration are encrypted by the first `yidang init`/`start` that has the key.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index archive_item_id_number`.execute(db);
  await sql`alter table archive_item alter column id_number type text`.execute(db);
  await sql`alter table archive_item add column id_number_index char(32)`.execute(db);
  await sql`create index archive_item_id_number_index on archive_item (id_number_index)`.execute(db);
  await sql`alter table app_user alter column id_number type text`.execute(db);
  await sql`alter table app_user add column id_number_index char(32)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Ciphertext does not fit the old columns, and the migration has no key to decrypt it.
  const sealed = await sql<{ count: number }>`
    select (select count(*) from archive_item where id_number like 'v1:%')
         + (select count(*) from app_user where id_number like 'v1:%') as count`.execute(db);
  if (Number(sealed.rows[0]?.count ?? 0) > 0)
    throw new Error(
      '身份证号已加密存储，不能回退此迁移（回退会丢失身份证号）；请从此前的备份恢复旧版本数据库',
    );
  await sql`alter table app_user drop column id_number_index`.execute(db);
  await sql`alter table app_user alter column id_number type varchar(18)`.execute(db);
  await sql`drop index archive_item_id_number_index`.execute(db);
  await sql`alter table archive_item drop column id_number_index`.execute(db);
  await sql`alter table archive_item alter column id_number type char(18) collate "C"`.execute(db);
  await sql`create index archive_item_id_number on archive_item (id_number)`.execute(db);
}
