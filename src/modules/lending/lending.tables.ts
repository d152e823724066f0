import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the lending module owns (see migration 20261227T110000-lending).

export type LoanKind = 'paper' | 'electronic' | 'copy';
export type LoanState = 'requested' | 'approved' | 'rejected' | 'withdrawn' | 'on_loan' | 'closed';
export type ReturnCondition = 'intact' | 'damaged' | 'pages_missing';

export interface LoanRuleTable {
  id: Generated<number>;
  /** null: any category (likewise sensitivity and retention). */
  category_id: number | null;
  sensitivity: string | null;
  retention: string | null;
  approval_levels: ColumnType<number, number | undefined, number>;
  level1_roles: ColumnType<string[], string[] | undefined, string[]>;
  level2_roles: ColumnType<string[], string[] | undefined, string[]>;
  max_days: number;
  renewals_allowed: ColumnType<number, number | undefined, number>;
  renewal_days: ColumnType<number, number | undefined, number>;
  paper_may_leave: ColumnType<boolean, boolean | undefined, boolean>;
  note: string | null;
  updated_by: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface LoanSequenceTable {
  year: number;
  last_number: number;
}

export interface LoanTable {
  id: Generated<number>;
  /** JY<year>-<6 digits> */
  loan_no: string;
  kind: LoanKind;
  requester_id: number;
  requested_by: string;
  borrower_id: number | null;
  borrower_username: string | null;
  borrower_org: string | null;
  borrower_person: string | null;
  letter_no: string | null;
  purpose: string;
  days_requested: number;
  days_approved: number | null;
  state: ColumnType<LoanState, LoanState | undefined, LoanState>;
  approval_levels: number;
  level1_roles: string[];
  level2_roles: string[];
  renewals_allowed: number;
  renewal_days: number;
  approved_level: ColumnType<number, number | undefined, number>;
  level1_by: string | null;
  level1_at: Date | null;
  level2_by: string | null;
  level2_at: Date | null;
  rejected_by: string | null;
  rejected_at: Date | null;
  reject_reason: string | null;
  handed_over_by: string | null;
  handed_over_at: Date | null;
  /** 应还日 (ISO date, Beijing). */
  due_on: ColumnType<string | null, string | null | undefined, string | null>;
  /** 实还日 (ISO date, Beijing). */
  returned_on: ColumnType<string | null, string | null | undefined, string | null>;
  returned_by: string | null;
  renewals: ColumnType<number, number | undefined, number>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  closed_at: Date | null;
}

export interface LoanItemTable {
  loan_id: number;
  item_id: number;
  archive_code: string;
  handed_over_at: Date | null;
  handed_over_by: string | null;
  pages_out: number | null;
  returned_at: Date | null;
  returned_by: string | null;
  pages_returned: number | null;
  condition: ReturnCondition | null;
  damage: string | null;
  open: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface LendingTables {
  loan_rule: LoanRuleTable;
  loan_sequence: LoanSequenceTable;
  loan: LoanTable;
  loan_item: LoanItemTable;
}
