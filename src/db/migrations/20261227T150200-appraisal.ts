import { type Kysely, sql } from 'kysely';

// 到期与鉴定. expiry_entry (catalog's) is the expiry list's summary, refreshed per fonds by a job: one
// row per year, category, the item's own period and its region, with the effective period (the
// longer of the item's and the category's current one there) and its due date. appraisal_round,
// appraisal_member and appraisal_item (disposition's) are the 鉴定批次, its group and each item's
// proposal and decision; `version` on an item row makes concurrent decisions on it one winner.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table expiry_entry (
      fonds_code varchar(4) not null,
      year integer not null,
      category_id integer not null,
      item_retention varchar(4) not null,
      region_key varchar(6) not null,
      effective_retention varchar(4) not null,
      expires_on date,
      items integer not null check (items >= 0),
      refreshed_at timestamptz not null default now(),
      primary key (fonds_code, year, category_id, item_retention, region_key)
    )`,
    sql`create index expiry_entry_due on expiry_entry (fonds_code, expires_on)`,
    sql`create table appraisal_round (
      id serial primary key,
      code varchar(40) not null unique,
      fonds_code varchar(4) not null,
      year integer not null,
      number integer not null,
      title varchar(200) not null,
      lead varchar(100) not null,
      status varchar(8) not null default 'open' check (status in ('open', 'closed')),
      opened_by varchar(100) not null,
      opened_at timestamptz not null default now(),
      closed_at timestamptz,
      unique (fonds_code, year, number)
    )`,
    sql`create table appraisal_member (
      round_id integer not null references appraisal_round (id),
      username varchar(100) not null,
      is_lead boolean not null default false,
      added_by varchar(100) not null,
      added_at timestamptz not null default now(),
      primary key (round_id, username)
    )`,
    sql`create table appraisal_item (
      round_id integer not null references appraisal_round (id),
      item_id integer not null,
      archive_code varchar(100) not null,
      category_id integer not null,
      year integer not null,
      added_by varchar(100) not null,
      added_at timestamptz not null default now(),
      proposal varchar(8) check (proposal in ('keep', 'destroy')),
      proposal_retention varchar(4),
      proposal_reason varchar(500),
      proposed_by varchar(100),
      proposed_at timestamptz,
      decision varchar(8) check (decision in ('keep', 'destroy')),
      decision_retention varchar(4),
      decision_reason varchar(500),
      decided_by varchar(100),
      decided_at timestamptz,
      item_version integer,
      item_retention varchar(4),
      version integer not null default 0,
      primary key (round_id, item_id)
    )`,
    // An item is under appraisal in one round at a time (until the group decided on it).
    sql`create unique index appraisal_item_undecided on appraisal_item (item_id) where decision is null`,
    sql`create index appraisal_item_item on appraisal_item (item_id)`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['appraisal_item', 'appraisal_member', 'appraisal_round', 'expiry_entry'])
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
}
