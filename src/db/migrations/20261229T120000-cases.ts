import { type Kysely, sql } from 'kysely';

// 核查案件 (fund-supervision cases): a case opened from 线索 or by hand, in a region (its scope) and a
// fonds (where its holds and its filed case file lie), assigned to a supervisor, with notes, evidence
// (archive items by 档号), a conclusion and its closing. Codes HC<year><seq> come from a yearly counter
// and are never reused. The holds a case placed are listed, so closing lifts exactly those.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table fund_case_sequence (
      year integer primary key,
      last_number integer not null check (last_number > 0)
    )`,
    sql`create table fund_case (
      id integer generated always as identity primary key,
      code varchar(20) not null unique,
      title varchar(200) not null,
      source varchar(8) not null check (source in ('clue', 'manual')),
      source_reason text,
      fonds_code varchar(4) not null references fonds (code),
      region varchar(6) not null check (region ~ '^[0-9]{6}$'),
      state varchar(12) not null check (state in ('open', 'examining', 'concluded', 'closed')),
      assignee text,
      opened_by text not null,
      opened_at timestamptz not null default now(),
      conclusion varchar(12) check (conclusion in ('violation', 'no_violation')),
      recover_amount numeric(14, 2) check (recover_amount is null or recover_amount >= 0.01),
      conclusion_reason text,
      concluded_by text,
      concluded_at timestamptz,
      closed_by text,
      closed_at timestamptz,
      filed_code text,
      check ((conclusion is null) = (concluded_at is null)),
      check (coalesce(conclusion, '') <> 'violation' or recover_amount is not null),
      check (coalesce(conclusion, '') <> 'no_violation' or (recover_amount is null and conclusion_reason is not null)),
      check (source <> 'manual' or source_reason is not null)
    )`,
    sql`create index fund_case_region on fund_case (region, id)`,
    sql`create table fund_case_note (
      id integer generated always as identity primary key,
      case_id integer not null references fund_case (id),
      author text not null,
      at timestamptz not null default now(),
      body text not null
    )`,
    sql`create index fund_case_note_case on fund_case_note (case_id, id)`,
    sql`create table fund_case_evidence (
      case_id integer not null references fund_case (id),
      archive_code text not null,
      fonds_code varchar(4) not null,
      via varchar(8) not null check (via in ('clue', 'manual')),
      added_by text not null,
      added_at timestamptz not null default now(),
      primary key (case_id, archive_code)
    )`,
    sql`create table fund_case_hold (
      case_id integer not null references fund_case (id),
      hold_code varchar(20) not null,
      fonds_code varchar(4) not null,
      placed_at timestamptz not null default now(),
      lifted_at timestamptz,
      primary key (case_id, hold_code)
    )`,
    sql`create table fund_case_clue (
      case_id integer not null references fund_case (id),
      clue_id bigint not null,
      rule_code varchar(40) not null,
      rule_name varchar(100) not null,
      rule_version integer not null,
      amount numeric(14, 2) not null,
      attached_by text not null,
      attached_at timestamptz not null default now(),
      primary key (case_id, clue_id)
    )`,
    sql`create index fund_case_clue_clue on fund_case_clue (clue_id)`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'fund_case_clue',
    'fund_case_hold',
    'fund_case_evidence',
    'fund_case_note',
    'fund_case',
    'fund_case_sequence',
  ])
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
}
