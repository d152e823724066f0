import type { ColumnType, Generated } from 'kysely';

// Row shapes of the table push (经办即归档) owns: one receipt per pushed filing (see the ingest migration).

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

export interface IngestTables {
  ingest_receipt: IngestReceiptTable;
}
