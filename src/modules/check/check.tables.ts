import type { ColumnType, Generated } from 'kysely';

// Row shapes of the four-property check tables (see the checks migration).

export type CheckTrigger = 'on_demand' | 'ingest' | 'transfer';
export type CheckTargetKind = 'item' | 'batch' | 'fonds_year';
export type CheckStatus = 'pass' | 'fail' | 'skipped';

export interface CheckRunTable {
  id: Generated<number>;
  trigger: CheckTrigger;
  target_kind: CheckTargetKind;
  /** The 档号, the batch id or fonds/year the run was asked for. */
  target: string;
  run_by: string;
  started_at: Date;
  finished_at: ColumnType<Date, Date | undefined, never>;
  items: number;
  /** Items with at least one failed check. */
  failed_items: number;
  passed: number;
  failed: number;
  skipped: number;
}

export interface CheckResultTable {
  run_id: number;
  item_id: number;
  check_id: string;
  status: CheckStatus;
  /** What was found, in Chinese. */
  detail: string;
}

export interface CheckTables {
  check_run: CheckRunTable;
  check_result: CheckResultTable;
}
