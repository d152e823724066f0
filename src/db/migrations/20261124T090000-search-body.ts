import { type Kysely, sql } from 'kysely';

// The item's other metadata text (姓名, 业务类型, the category's fields …), normalized, beside its 题名
// in the index row: a phrase such as a hospital's name is then checked without reading the item.
// Rows indexed before this have none (null) and are checked against the item as before, until the
// item is indexed again or `yidang reindex` runs.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table search_doc add column body text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table search_doc drop column if exists body`.execute(db);
}
