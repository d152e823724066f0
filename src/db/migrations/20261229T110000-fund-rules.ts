import { type Kysely, sql } from 'kysely';

// 智能审核规则与线索 (issue 27). fund_rule_setting holds each rule's active flag and parameters with a
// version bumped by every change (the defaults below are version 1); fund_run is one evaluation over
// a region prefix and a settlement period, with the rule versions and parameters it used; fund_clue is
// one hit of a rule with its evidence and a fingerprint (same data and versions give the same one).
// The defaults are copied here, not imported: a migration carries its own rows.

const CHRONIC_DX = [
  'E10',
  'E11',
  'E13',
  'E14',
  'I10',
  'I11',
  'I12',
  'I13',
  'I20',
  'I25',
  'I50',
  'I63',
  'I69',
  'J44',
  'J45',
  'N18',
  'F20',
  'F31',
  'G20',
  'G40',
  'M05',
  'K74',
  'B18',
  'C',
];

const DEFAULTS: Record<string, Record<string, unknown>> = {
  repeat_settlement: { minAmount: 0 },
  concurrent_stay: { minOverlapDays: 1 },
  split_admission: { days: 15, plannedPrefixes: ['Z51', 'Z49'] },
  phantom_bed: { minDays: 3, minActiveShare: 0.3 },
  over_supply: { acuteDays: 7, chronicDays: 30, chronicDx: CHRONIC_DX },
  double_charge: {},
  over_standard: { tolerance: 0 },
  unbundling: { minParts: 2 },
  sex_mismatch: {},
  age_mismatch: {},
  restricted_dx: {},
  after_death: { graceDays: 0 },
};

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table fund_rule_setting (
      rule_code varchar(40) primary key,
      version integer not null check (version >= 1),
      active boolean not null,
      params jsonb not null,
      changed_by varchar(100) not null,
      changed_at timestamptz not null default now(),
      reason varchar(500) not null
    )`,
    sql`create table fund_run (
      id serial primary key,
      region_prefix varchar(6) not null,
      period_from date not null,
      period_to date not null check (period_to >= period_from),
      rules jsonb not null,
      job_id integer,
      state varchar(10) not null check (state in ('queued', 'running', 'finished', 'failed')),
      counts jsonb not null default '{}',
      error varchar(1000),
      started_by varchar(100) not null,
      started_at timestamptz not null default now(),
      finished_at timestamptz
    )`,
    sql`create table fund_clue (
      id bigint generated always as identity primary key,
      run_id integer not null references fund_run (id),
      rule_code varchar(40) not null,
      rule_version integer not null,
      params jsonb not null,
      settlement_ids bigint[] not null,
      serials text[] not null,
      person_key char(32),
      institution_code varchar(32),
      region varchar(6) not null,
      amount numeric(14, 2) not null,
      evidence jsonb not null,
      fingerprint varchar(64) not null,
      state varchar(10) not null default 'open' check (state in ('open', 'in_case', 'dismissed')),
      case_code varchar(64),
      dismiss_reason varchar(500),
      changed_by varchar(100),
      changed_at timestamptz,
      unique (run_id, fingerprint)
    )`,
    sql`create index fund_clue_run on fund_clue (run_id, rule_code, id)`,
    sql`create index fund_clue_state on fund_clue (state, id)`,
    sql`create index fund_clue_fingerprint on fund_clue (fingerprint)`,
  ];
  for (const statement of statements) await statement.execute(db);
  for (const [code, params] of Object.entries(DEFAULTS))
    await sql`insert into fund_rule_setting (rule_code, version, active, params, changed_by, reason)
      values (${code}, 1, true, ${JSON.stringify(params)}::jsonb, 'system:setup', '默认设置')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['fund_clue', 'fund_run', 'fund_rule_setting'])
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
}
