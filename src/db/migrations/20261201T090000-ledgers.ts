import { type Kysely, sql } from 'kysely';

// 医保扶贫: the insured roster and what the four ledgers are made from, the record of each list
// reconciliation, and the category the generated ledgers are filed under. The roster's key_* columns
// are keyed hashes of ID segments and name pinyin, so a mistyped ID finds its person by index without
// any ID number stored in the clear.

// The ledger category as shipped with this version, frozen here rather than read from
// src/modules/ledgers/ledger-category.ts so that editing the live constant never changes a fresh install.
const LEDGER_CATEGORY = {
  code: 'FPTZ',
  name: '医保扶贫台账',
  retention: 'D30',
  basis: '本地默认（规定未列明）：与医保扶贫档案同期',
};
const LEDGER_KIND_LABELS = ['参保台账', '动态台账', '待遇享受台账', '慢病台账', '两病台账'];

const MONEY = sql.raw('numeric(14,2) not null default 0 check');

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table insured_person (
      id bigint generated always as identity primary key,
      id_number text not null,
      id_index char(32) not null unique,
      name varchar(50) not null check (length(name) > 0),
      region_code char(6) not null check (region_code ~ '^[0-9]{6}$'),
      address varchar(200),
      key_region_birth bigint not null,
      key_birth_seq bigint not null,
      key_name_region bigint not null,
      key_name_seq bigint not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  for (const key of ['region_birth', 'birth_seq', 'name_region', 'name_seq'])
    await sql.raw(`create index insured_person_${key} on insured_person (key_${key})`).execute(db);
  await sql`
    create table enrollment (
      id bigint generated always as identity primary key,
      person_id bigint not null references insured_person (id) on delete cascade,
      scheme text not null check (scheme in ('employee', 'resident')),
      employer varchar(100),
      started_on date not null,
      paid_through date,
      ended_on date,
      end_reason text check (end_reason in ('interrupted', 'switched', 'exited')),
      check (scheme = 'employee' or employer is null),
      check (ended_on is null or ended_on >= started_on),
      check ((ended_on is null) = (end_reason is null))
    )`.execute(db);
  await sql`create index enrollment_person on enrollment (person_id, started_on)`.execute(db);
  await sql`
    create table assistance_status (
      id bigint generated always as identity primary key,
      person_id bigint not null references insured_person (id) on delete cascade,
      identity text not null check (identity in ('poverty', 'monitored', 'subsistence', 'destitute')),
      source varchar(20) not null,
      included_on date not null,
      exited_on date,
      check (exited_on is null or exited_on >= included_on)
    )`.execute(db);
  await sql`create index assistance_status_person on assistance_status (person_id)`.execute(db);
  await sql`create index assistance_status_included on assistance_status (included_on)`.execute(db);
  await sql`
    create table contribution (
      id bigint generated always as identity primary key,
      person_id bigint not null references insured_person (id) on delete cascade,
      scheme text not null check (scheme in ('employee', 'resident')),
      period_year integer not null check (period_year between 1990 and 2200),
      paid_on date not null,
      amount ${MONEY} (amount >= 0),
      subsidy ${MONEY} (subsidy >= 0)
    )`.execute(db);
  await sql`create index contribution_person on contribution (person_id, period_year)`.execute(db);
  await sql`
    create table assistance_settlement (
      id bigint generated always as identity primary key,
      person_id bigint not null references insured_person (id) on delete cascade,
      visit_type text not null check (visit_type in ('outpatient', 'inpatient')),
      institution varchar(100) not null,
      visit_start date not null,
      visit_end date not null,
      settled_on date not null,
      total_cost ${MONEY} (total_cost >= 0),
      insurance_paid ${MONEY} (insurance_paid >= 0),
      assistance_paid ${MONEY} (assistance_paid >= 0),
      critical_paid ${MONEY} (critical_paid >= 0),
      reassistance_paid ${MONEY} (reassistance_paid >= 0),
      check (visit_end >= visit_start),
      check (insurance_paid + assistance_paid + critical_paid + reassistance_paid <= total_cost)
    )`.execute(db);
  await sql`create index assistance_settlement_settled on assistance_settlement (settled_on)`.execute(db);
  await sql`
    create table disease_certificate (
      id bigint generated always as identity primary key,
      person_id bigint not null references insured_person (id) on delete cascade,
      kind text not null check (kind in ('chronic', 'hypertension', 'diabetes')),
      disease varchar(50) not null,
      issued_on date not null,
      revoked_on date,
      check (revoked_on is null or revoked_on >= issued_on)
    )`.execute(db);
  await sql`create index disease_certificate_person on disease_certificate (person_id)`.execute(db);
  await sql`
    create table reconciliation_run (
      id bigint generated always as identity primary key,
      source varchar(20) not null,
      file_name varchar(255) not null,
      file_digest text not null,
      row_count integer not null check (row_count >= 0),
      summary jsonb not null,
      findings text not null,
      actor text not null,
      created_at timestamptz not null default now(),
      duration_ms integer not null check (duration_ms >= 0)
    )`.execute(db);
  await sql`
    insert into category (code, name, parent_id, default_retention, retention_basis, default_sensitivity,
      requires_person, requires_amount, extra_fields, builtin, sort_order)
    select ${LEDGER_CATEGORY.code}, ${LEDGER_CATEGORY.name}, null, ${LEDGER_CATEGORY.retention},
      ${LEDGER_CATEGORY.basis}, 'sensitive', false, false, ${JSON.stringify([
        {
          key: 'ledgerKind',
          label: '台账类别',
          type: 'enum',
          required: true,
          options: LEDGER_KIND_LABELS,
        },
        { key: 'period', label: '台账期间', type: 'text', required: true, maxLength: 50 },
      ])}::jsonb, true, coalesce((select sort_order from category where code = 'FP'), 1000) + 5
    where not exists (select 1 from category where code = ${LEDGER_CATEGORY.code})`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The category stays while archives are filed under it (the foreign key refuses otherwise).
  await sql`delete from category where code = ${LEDGER_CATEGORY.code}
    and not exists (select 1 from archive_item where category_id = category.id)`.execute(db);
  for (const table of [
    'reconciliation_run',
    'disease_certificate',
    'assistance_settlement',
    'contribution',
    'assistance_status',
    'enrollment',
    'insured_person',
  ])
    await sql.raw(`drop table if exists ${table}`).execute(db);
}
