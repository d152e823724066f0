import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { BatchState, TransferItemState, TransferKind } from './transfer.names.js';

// 移交批次: the batch, its items as drawn, and the per-fonds number sequence (see the transfer migration).

export interface TransferSequenceTable {
  fonds_code: string;
  year: number;
  last_number: number;
}

/** What the batch was drawn by: for a person batch the blind index of the ID number, never the number. */
export interface TransferSelector {
  category?: string;
  year?: number;
  items?: string[];
  person?: string;
  /** The 检索式 (search language) the batch was drawn by; its events carry only its digest. */
  query?: string;
}

/** The four-property results of the item's latest check: per property, pass / fail / skipped. */
export type CheckSummary = Record<string, 'pass' | 'fail' | 'skipped'>;

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export interface TransferBatchTable {
  id: Generated<number>;
  code: string;
  fonds_code: string;
  year: number;
  number: number;
  kind: TransferKind;
  selector: JSONColumnType<TransferSelector, string, string>;
  /** 接收单位 as the sender names it when drawing (the receipt names itself on acceptance). */
  receiver: string;
  /** The receiver's public key (base64 SPKI DER), pinned at drawing: only a 回执 it signed is accepted. */
  receiver_key: Nullable<string>;
  state: ColumnType<BatchState, BatchState | undefined, BatchState>;
  drawn_by: string;
  drawn_at: Date;
  exported_by: Nullable<string>;
  exported_at: Nullable<Date>;
  /** The bag's tagmanifest digest (hex) and its algorithm. */
  export_digest: Nullable<string>;
  export_algorithm: Nullable<string>;
  payload_oxum: Nullable<string>;
  /** The receiver's signed 回执 as received (text), its digest, who signed it and when. */
  receipt: Nullable<string>;
  receipt_digest: Nullable<string>;
  received_by: Nullable<string>;
  received_at: Nullable<Date>;
  accepted_by: Nullable<string>;
  accepted_at: Nullable<Date>;
  keep_until: Nullable<string>;
  withdrawn_by: Nullable<string>;
  withdrawn_at: Nullable<Date>;
  withdraw_reason: Nullable<string>;
}

export interface TransferItemTable {
  batch_id: number;
  seq: number;
  item_id: number;
  archive_code: string;
  /** 题名 masked, as the 登记表 and lists show it. */
  title: string;
  year: number;
  retention: string;
  category: string;
  item_version: number;
  files: number;
  bytes: ColumnType<string | number, number, number>;
  state: TransferItemState;
  /** A REFUSAL_REASONS code (refused) or the receiver's reason (rejected). */
  reason: Nullable<string>;
  detail: Nullable<string>;
  check_run: Nullable<number>;
  check_summary: ColumnType<CheckSummary | null, string | null, string | null>;
}

export interface TransferTables {
  transfer_sequence: TransferSequenceTable;
  transfer_batch: TransferBatchTable;
  transfer_item: TransferItemTable;
}
