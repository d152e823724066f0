import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the integrity module owns (see the integrity migration).

export interface IntegrityEventTable {
  /** Position in the log and index of the Merkle leaf, from 0 with no gaps. */
  seq: number;
  recorded_at: Date;
  actor: string;
  action: string;
  /** What the event is about, as kind:key (item:<档号>, blob:<digest>, fonds:<code>, …). */
  subject: string;
  /** Canonical JSON, kept as text so the hashed bytes are exactly the stored bytes. */
  payload: string;
  /** RFC 6962 leaf hash of the entry, which includes the previous event's hash: the chain link. */
  hash: Buffer;
  /** Hashes of the perfect subtrees this leaf completes (levels 1, 2, …), concatenated. */
  subtrees: Buffer | null;
}

export interface IntegrityLogTable {
  id: ColumnType<number, number | undefined, never>;
  origin: string;
  algorithm: string;
  size: number;
  last_hash: Buffer | null;
  /** Roots of the tree's perfect subtrees, largest first, concatenated. */
  frontier: Buffer;
}

export interface IntegrityCheckpointTable {
  id: Generated<number>;
  tree_size: number;
  root_hash: Buffer;
  created_at: Date;
  created_by: string;
  /** The signed note exactly as signed (C2SP tlog-checkpoint). */
  note: string;
}

export interface IntegrityTables {
  integrity_event: IntegrityEventTable;
  integrity_log: IntegrityLogTable;
  integrity_checkpoint: IntegrityCheckpointTable;
}
