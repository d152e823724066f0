import { type Kysely, sql } from 'kysely';

// 接收: an item filed from another agency's transfer package keeps where it came from as fields of
// its own — the sender's 档号 (原档号), the sending organisation (来源单位) and the batch (移交批次) —
// so the item's page, API, exports and search show them. Items received before this migration are
// filled in from receive_item (the receiving module's record of each accepted item).

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`alter table archive_item add column received_code varchar(100)`,
    sql`alter table archive_item add column received_from varchar(200)`,
    sql`alter table archive_item add column received_batch varchar(100)`,
    sql`create index archive_item_received_code on archive_item (received_code) where received_code is not null`,
    sql`update archive_item i set received_code = left(r.source_archive_code, 100),
        received_from = left(r.source_organisation, 200), received_batch = left(b.batch, 100)
      from receive_item r join receive_bag b on b.id = r.bag_id
      where r.item_id = i.id and r.accepted`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists archive_item_received_code`.execute(db);
  for (const column of ['received_batch', 'received_from', 'received_code'])
    await sql.raw(`alter table archive_item drop column ${column}`).execute(db);
}
