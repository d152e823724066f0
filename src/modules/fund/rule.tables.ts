import type { ColumnType, Generated, JSONColumnType } from 'kysely';

// 智能审核规则与线索: rule settings, runs and their clues (see the fund-rules migration).

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;
type Json<T extends object> = JSONColumnType<T, string, string>;

export type RuleParams = Record<string, number | string[]>;
export type RunState = 'queued' | 'running' | 'finished' | 'failed';
export type ClueState = 'open' | 'in_case' | 'dismissed';

/** What a run evaluated each rule with: the setting's version, the logic's revision, the parameters. */
export type RunRules = Record<string, { version: number; revision: number; params: RuleParams }>;
/** Per rule: hits and milliseconds once evaluated. */
export type RunCounts = Record<string, { hits: number; ms: number }>;

export interface FundRuleSettingTable {
  rule_code: string;
  version: number;
  active: boolean;
  params: Json<RuleParams>;
  changed_by: string;
  changed_at: ColumnType<Date, Date | undefined, Date>;
  reason: string;
}

export interface FundRunTable {
  id: Generated<number>;
  region_prefix: string;
  period_from: ColumnType<string, string, string>;
  period_to: ColumnType<string, string, string>;
  rules: Json<RunRules>;
  job_id: Nullable<number>;
  state: RunState;
  counts: ColumnType<RunCounts, string | undefined, string>;
  error: Nullable<string>;
  started_by: string;
  started_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: Nullable<Date>;
}

export interface FundClueTable {
  id: ColumnType<number, never, never>;
  run_id: number;
  rule_code: string;
  rule_version: number;
  params: Json<RuleParams>;
  settlement_ids: ColumnType<number[], number[], number[]>;
  serials: string[];
  person_key: Nullable<string>;
  institution_code: Nullable<string>;
  region: string;
  amount: ColumnType<string, string, string>;
  evidence: ColumnType<unknown, string, string>;
  fingerprint: string;
  state: ColumnType<ClueState, ClueState | undefined, ClueState>;
  case_code: Nullable<string>;
  dismiss_reason: Nullable<string>;
  changed_by: Nullable<string>;
  changed_at: Nullable<Date>;
}

export interface FundRuleTables {
  fund_rule_setting: FundRuleSettingTable;
  fund_run: FundRunTable;
  fund_clue: FundClueTable;
}
