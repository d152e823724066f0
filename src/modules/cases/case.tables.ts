import type { ColumnType, Generated } from 'kysely';

// Row shapes of the 核查案件 tables the cases module owns (see the cases migration).

export type CaseState = 'open' | 'examining' | 'concluded' | 'closed';
export type CaseSource = 'clue' | 'manual';
export type CaseConclusion = 'violation' | 'no_violation';

export interface FundCaseTable {
  id: Generated<number>;
  code: string;
  title: string;
  source: CaseSource;
  source_reason: string | null;
  fonds_code: string;
  region: string;
  state: CaseState;
  assignee: string | null;
  opened_by: string;
  opened_at: ColumnType<Date, Date | undefined, never>;
  conclusion: CaseConclusion | null;
  /** numeric(14,2) as text. */
  recover_amount: string | null;
  conclusion_reason: string | null;
  concluded_by: string | null;
  concluded_at: Date | null;
  closed_by: string | null;
  closed_at: Date | null;
  filed_code: string | null;
}

export interface FundCaseSequenceTable {
  year: number;
  last_number: number;
}

export interface FundCaseNoteTable {
  id: Generated<number>;
  case_id: number;
  author: string;
  at: ColumnType<Date, Date | undefined, never>;
  body: string;
}

export interface FundCaseEvidenceTable {
  case_id: number;
  archive_code: string;
  fonds_code: string;
  via: CaseSource;
  added_by: string;
  added_at: ColumnType<Date, Date | undefined, never>;
}

export interface FundCaseHoldTable {
  case_id: number;
  hold_code: string;
  fonds_code: string;
  placed_at: ColumnType<Date, Date | undefined, never>;
  lifted_at: Date | null;
}

export interface FundCaseClueTable {
  case_id: number;
  clue_id: ColumnType<string, string | number, never>;
  rule_code: string;
  rule_name: string;
  rule_version: number;
  /** numeric(14,2) as text. */
  amount: string;
  attached_by: string;
  attached_at: ColumnType<Date, Date | undefined, never>;
}

export interface CaseTables {
  fund_case: FundCaseTable;
  fund_case_sequence: FundCaseSequenceTable;
  fund_case_note: FundCaseNoteTable;
  fund_case_evidence: FundCaseEvidenceTable;
  fund_case_hold: FundCaseHoldTable;
  fund_case_clue: FundCaseClueTable;
}
