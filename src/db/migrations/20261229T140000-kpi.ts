import { type Kysely, sql } from 'kysely';

// 安全事件 (issue 27, 考核指标): a confirmed security incident of a unit — a reading alert the auditor
// upheld, or a leak — recorded once with what happened, so 安全事故率 counts facts, not guesses.
// Numbers AQ-<year>-<n> come from a yearly counter; a row is never changed (a correction is a new row
// that withdraws the old one).

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table kpi_incident_sequence (
      year integer primary key,
      last_number integer not null check (last_number > 0)
    )`,
    sql`create table kpi_incident (
      id serial primary key,
      code varchar(20) not null unique,
      fonds_code varchar(4) not null references fonds (code),
      region varchar(6) not null,
      kind varchar(8) not null check (kind in ('alert', 'leak')),
      occurred_at timestamptz not null,
      description text not null check (length(description) between 4 and 2000),
      alert_actor varchar(100),
      alert_hour timestamptz,
      recorded_by text not null,
      recorded_at timestamptz not null default now(),
      withdrawn_by text,
      withdrawn_at timestamptz,
      withdraw_reason text,
      check ((withdrawn_at is null) = (withdrawn_by is null) and (withdrawn_at is null) = (withdraw_reason is null)),
      check (kind <> 'alert' or (alert_actor is not null and alert_hour is not null))
    )`,
    sql`create index kpi_incident_fonds_time on kpi_incident (fonds_code, occurred_at)`,
    // One upheld alert counts once: a second record of the same account's hour is refused while the first stands.
    sql`create unique index kpi_incident_alert_once on kpi_incident (alert_actor, alert_hour)
      where kind = 'alert' and withdrawn_at is null`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists kpi_incident`.execute(db);
  await sql`drop table if exists kpi_incident_sequence`.execute(db);
}
