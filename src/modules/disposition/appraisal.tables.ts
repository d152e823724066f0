import type { ColumnType, Generated } from 'kysely';

// 鉴定批次: the round, its group and each item's proposal and decision (see the appraisal migration).

type Stamp = ColumnType<Date, Date | undefined, Date>;

export interface AppraisalRoundTable {
  id: Generated<number>;
  code: string;
  fonds_code: string;
  year: number;
  number: number;
  title: string;
  lead: string;
  status: ColumnType<'open' | 'closed', 'open' | 'closed' | undefined, 'open' | 'closed'>;
  opened_by: string;
  opened_at: Stamp;
  closed_at: Date | null;
}

export interface AppraisalMemberTable {
  round_id: number;
  username: string;
  is_lead: boolean;
  added_by: string;
  added_at: Stamp;
}

export type AppraisalChoice = 'keep' | 'destroy';

export interface AppraisalItemTable {
  round_id: number;
  item_id: number;
  archive_code: string;
  category_id: number;
  year: number;
  added_by: string;
  added_at: Stamp;
  proposal: AppraisalChoice | null;
  proposal_retention: string | null;
  proposal_reason: string | null;
  proposed_by: string | null;
  proposed_at: Date | null;
  decision: AppraisalChoice | null;
  decision_retention: string | null;
  decision_reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  /** The item's version and period when the decision was taken (a register compares them with now). */
  item_version: number | null;
  item_retention: string | null;
  version: ColumnType<number, number | undefined, number>;
}

export interface AppraisalTables {
  appraisal_round: AppraisalRoundTable;
  appraisal_member: AppraisalMemberTable;
  appraisal_item: AppraisalItemTable;
}
