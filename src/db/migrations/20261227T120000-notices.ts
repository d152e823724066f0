import { type Kysely, sql } from 'kysely';

// The console inbox (站内通知): notices to one account, read or not, and how far their delivery to a
// mail/SMS gateway went. A sender's key (e.g. one loan's reminder at T−3) is sent once per recipient.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table notice (
    id bigserial primary key,
    recipient_id integer not null references app_user (id),
    recipient_name text not null,
    kind text not null,
    title text not null,
    body text not null,
    link text,
    about text,
    dedupe_key text,
    created_at timestamptz not null default now(),
    read_at timestamptz,
    delivery text not null default 'none'
      check (delivery in ('none', 'pending', 'delivered', 'failed')),
    delivered_at timestamptz,
    delivery_error text
  )`.execute(db);
  await sql`create unique index notice_once on notice (recipient_id, dedupe_key)
    where dedupe_key is not null`.execute(db);
  // The inbox newest first, and the bell's count of the unread.
  await sql`create index notice_inbox on notice (recipient_id, id desc)`.execute(db);
  await sql`create index notice_unread on notice (recipient_id) where read_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists notice`.execute(db);
}
