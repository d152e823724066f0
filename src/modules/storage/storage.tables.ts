import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the storage module owns (see the storage migration).

export interface StorageBlobTable {
  /** Digest of the plain content as algorithm:hex; the blob's name in every replica. */
  digest: string;
  size: number;
  /** Size and digest (same algorithm) of the encrypted bytes a replica holds: what fixity re-hashes. */
  stored_size: number;
  stored_digest: string;
  suite: string;
  key_id: string;
  /** Emptied when the blob is crypto-shredded: no copy anywhere can be decrypted again. */
  wrapped_key: Buffer;
  created_at: ColumnType<Date, Date | undefined, never>;
  /** When the data key was destroyed, under which 销毁清册, and the signed record every replica holds. */
  shredded_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  shred_register: ColumnType<string | null, string | null | undefined, string | null>;
  shred_record: ColumnType<string | null, string | null | undefined, string | null>;
  /** When every replica confirmed its copy deleted (blob.shredded logged). */
  shred_confirmed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type CopyStatus = 'ok' | 'missing' | 'corrupt';

export interface StorageCopyTable {
  digest: string;
  replica: string;
  status: CopyStatus;
  checked_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ItemFileTable {
  item_id: number;
  /** 1, 2, … within the item, in the order files were attached. */
  file_number: number;
  digest: string;
  /** The name shown and logged: an ID number in the name as given is masked. */
  file_name: string;
  /** The name as given, sealed under the field key, when it differs from file_name (else null). */
  original_name: ColumnType<string | null, string | null | undefined, never>;
  media_type: string;
  size: number;
  added_by: string;
  added_at: ColumnType<Date, Date | undefined, never>;
  /** The 销毁清册 that destroyed the item this file belongs to: the attachment no longer counts as live. */
  destroyed_register: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface FixityRunTable {
  id: Generated<number>;
  started_at: ColumnType<Date, Date | undefined, never>;
  finished_at: Date | null;
  actor: string;
  sample: number | null;
  blobs: number;
  copies: number;
  bytes: number;
  ok: number;
  repaired: number;
  unrepaired: number;
  lost: number;
  status: 'running' | 'finished' | 'failed';
}

export interface FixityFindingTable {
  run_id: number;
  digest: string;
  replica: string;
  problem: 'missing' | 'corrupt' | 'lost';
  repaired: boolean;
  detail: string;
}

export interface StorageTables {
  storage_blob: StorageBlobTable;
  storage_copy: StorageCopyTable;
  item_file: ItemFileTable;
  fixity_run: FixityRunTable;
  fixity_finding: FixityFindingTable;
}
