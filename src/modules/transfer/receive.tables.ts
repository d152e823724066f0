import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { BagProblem } from './bag.parse.js';

// 接收: the bags received and each of their items (see the receive migration).

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type ReceiveBagState = 'accepted' | 'partial' | 'rejected';

/** The four-property results of one received item: per property, pass or fail with the details. */
export type ReceivedChecks = Record<
  'authenticity' | 'integrity' | 'usability' | 'security',
  { status: 'pass' | 'fail' | 'skipped'; detail: string }
>;

export interface ReceiveBagTable {
  id: Generated<number>;
  batch: string;
  kind: 'fonds' | 'person';
  sender: string;
  digest_algorithm: string;
  bag_digest: string;
  fonds_code: string;
  state: ReceiveBagState;
  problems: JSONColumnType<BagProblem[], string, string>;
  checkpoint: Nullable<string>;
  signing_key: Nullable<string>;
  /** The signed 回执 as returned (JSON text) and its SHA-256. */
  receipt: string;
  receipt_digest: string;
  received_by: string;
  received_at: Date;
}

export interface ReceiveItemTable {
  bag_id: number;
  seq: number;
  source_archive_code: string;
  source_organisation: string;
  accepted: boolean;
  reason: Nullable<string>;
  item_id: Nullable<number>;
  archive_code: Nullable<string>;
  checks: JSONColumnType<ReceivedChecks, string, string>;
  history: ColumnType<unknown, string | null, string | null>;
}

export interface ReceiveTables {
  receive_bag: ReceiveBagTable;
  receive_item: ReceiveItemTable;
}
