import { type Kysely, sql } from 'kysely';

// 冻结 (legal holds, catalog's): a hold names items by an explicit list (legal_hold_item), by a query
// over archive_item (fonds plus at least one of category, year, the insured person's blind index or
// insured number, 机构代码, 定点机构编码, 业务类型) or by category and year. A query is evaluated
// whenever asked, so an item filed later that matches is held too. A person is kept only as the
// blind index of their ID number and its masked form. Numbers DJ-<year>-<n> come from a yearly counter.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table legal_hold_sequence (
      year integer primary key,
      last_number integer not null check (last_number > 0)
    )`,
    sql`create table legal_hold (
      id serial primary key,
      code varchar(20) not null unique,
      fonds_code varchar(4) not null references fonds (code),
      selector_kind varchar(16) not null check (selector_kind in ('items', 'query', 'category_year')),
      category_id integer references category (id),
      year integer,
      id_number_index text,
      id_number_masked text,
      insured_number varchar(40),
      org_code varchar(16),
      institution_code varchar(32),
      business_type varchar(100),
      reason text not null,
      case_ref varchar(100),
      source varchar(8) not null default 'manual' check (source in ('manual', 'case')),
      placed_by text not null,
      placed_at timestamptz not null default now(),
      lifted_by text,
      lifted_at timestamptz,
      lift_reason text,
      check ((lifted_at is null) = (lifted_by is null) and (lifted_at is null) = (lift_reason is null)),
      check (selector_kind <> 'category_year' or (category_id is not null and year is not null)),
      check (selector_kind <> 'query' or num_nonnulls(category_id, year, id_number_index, insured_number,
        org_code, institution_code, business_type) > 0)
    )`,
    sql`create index legal_hold_active on legal_hold (fonds_code) where lifted_at is null`,
    sql`create table legal_hold_item (
      hold_id integer not null references legal_hold (id),
      item_id integer not null references archive_item (id),
      primary key (hold_id, item_id)
    )`,
    sql`create index legal_hold_item_item on legal_hold_item (item_id)`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists legal_hold_item`.execute(db);
  await sql`drop table if exists legal_hold`.execute(db);
  await sql`drop table if exists legal_hold_sequence`.execute(db);
}
