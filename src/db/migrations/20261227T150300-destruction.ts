import { type Kysely, sql } from 'kysely';

// 销毁清册. destruction_register (disposition's) is the register with its state and cover; each
// destruction_row is one item as drawn (the item's version, retention and category then, so a change
// since is found), carried out once (state) and, for paper, its physical destruction confirmed;
// destruction_signature holds the dated signatures (lead, approver, 监销人). archive_item (catalog's)
// gains the tombstone columns: which register destroyed it, when, and the digest of what was destroyed.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`alter table archive_item add column destroyed_register varchar(40)`,
    sql`alter table archive_item add column destroyed_at timestamptz`,
    sql`alter table archive_item add column destroyed_digest varchar(128)`,
    sql`create index archive_item_destroyed on archive_item (destroyed_register) where destroyed_register is not null`,
    sql`create table destruction_sequence (
      fonds_code varchar(4) not null,
      year integer not null,
      last_number integer not null,
      primary key (fonds_code, year)
    )`,
    sql`create table destruction_register (
      id serial primary key,
      code varchar(40) not null unique,
      fonds_code varchar(4) not null,
      year integer not null,
      number integer not null,
      round_id integer not null,
      round_code varchar(40) not null,
      state varchar(12) not null default 'drawn'
        check (state in ('drawn', 'approved', 'carrying', 'carried', 'filed', 'withdrawn')),
      drawn_by varchar(100) not null,
      drawn_at timestamptz not null,
      approved_by varchar(100),
      approved_at timestamptz,
      started_by varchar(100),
      started_at timestamptz,
      carried_at timestamptz,
      filed_code varchar(100),
      filed_digest varchar(128),
      filed_at timestamptz,
      unique (fonds_code, year, number)
    )`,
    sql`create table destruction_row (
      register_id integer not null references destruction_register (id),
      seq integer not null,
      item_id integer not null,
      archive_code varchar(100) not null,
      title varchar(500) not null,
      year integer not null,
      retention varchar(4) not null,
      category_id integer not null,
      item_version integer not null,
      expires_on date,
      pages integer not null default 0,
      files integer not null default 0,
      carrier varchar(12) not null,
      reason varchar(500) not null,
      note varchar(200),
      state varchar(16) not null default 'pending'
        check (state in ('pending', 'shredding', 'destroyed')),
      destroyed_at timestamptz,
      destroyed_digest varchar(128),
      blobs text[] not null default '{}',
      paper_method varchar(50),
      paper_place varchar(100),
      paper_at timestamptz,
      paper_witnesses text[],
      paper_confirmed_by varchar(100),
      primary key (register_id, seq),
      unique (register_id, item_id)
    )`,
    sql`create index destruction_row_item on destruction_row (item_id)`,
    sql`create table destruction_signature (
      register_id integer not null references destruction_register (id),
      role varchar(10) not null check (role in ('lead', 'approver', 'witness')),
      username varchar(100) not null,
      signed_at timestamptz not null,
      primary key (register_id, role, username)
    )`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'destruction_signature',
    'destruction_row',
    'destruction_register',
    'destruction_sequence',
  ])
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  for (const column of ['destroyed_register', 'destroyed_at', 'destroyed_digest'])
    await sql`alter table archive_item drop column if exists ${sql.ref(column)}`.execute(db);
}
