import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the ingest module owns (see the ingest migration).

export interface IngestReceiptTable {
  id: Generated<number>;
  /** The pushing business system (结算系统, 参保登记系统 …). */
  source: string;
  /** 业务流水号: the idempotency key within the source. */
  serial: string;
  /** Digest of the pushed metadata and file contents: a retry must carry the same. */
  payload_digest: string;
  /** Null only inside the filing transaction, before the item exists. */
  item_id: number | null;
  archive_code: string | null;
  handled_at: ColumnType<Date, Date, never>;
  received_at: ColumnType<Date, Date | undefined, never>;
  /** Seconds from 办理时间 to filing (negative if the business system's clock is ahead). */
  lag_seconds: number;
  actor: string;
}

export interface ImportMappingTable {
  name: string;
  /** ImportMapping as JSON. */
  mapping: ColumnType<unknown, string, string>;
  saved_by: string;
  saved_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ImportJobTable {
  id: Generated<number>;
  file_digest: string;
  mapping_digest: string;
  file_name: string;
  total_rows: number;
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** A line of an imported file that was filed, committed with its batch. */
export interface ImportLineTable {
  job_id: number;
  line: number;
  item_id: number;
  archive_code: string;
}

export interface DuplicateFlagTable {
  id: Generated<number>;
  /** The later filing, flagged against the earlier one. */
  item_id: number;
  other_item_id: number;
  rule: 'same_business' | 'same_serial';
  /** Key fields whose values differ between the two (name, idNumber, amount …). */
  fields: string[];
  status: ColumnType<'open' | 'kept' | 'merged', 'open' | undefined, 'kept' | 'merged'>;
  kept_item_id: number | null;
  flagged_at: ColumnType<Date, Date | undefined, never>;
  resolved_by: string | null;
  resolved_at: ColumnType<Date | null, Date | null | undefined, Date>;
  reason: string | null;
}

export interface IngestTables {
  duplicate_flag: DuplicateFlagTable;
  ingest_receipt: IngestReceiptTable;
  import_mapping: ImportMappingTable;
  import_job: ImportJobTable;
  import_line: ImportLineTable;
}
