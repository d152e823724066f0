import type { ColumnType, Generated } from 'kysely';

// 销毁清册: the register, its rows (each item as drawn) and its signatures (see the destruction migration).

export type RegisterState = 'drawn' | 'approved' | 'carrying' | 'carried' | 'filed' | 'withdrawn';
export type RowState = 'pending' | 'shredding' | 'destroyed' | 'refused';
export type SignRole = 'lead' | 'approver' | 'witness';

export interface DestructionSequenceTable {
  fonds_code: string;
  year: number;
  last_number: number;
}

export interface DestructionRegisterTable {
  id: Generated<number>;
  code: string;
  fonds_code: string;
  year: number;
  number: number;
  round_id: number;
  round_code: string;
  state: ColumnType<RegisterState, RegisterState | undefined, RegisterState>;
  drawn_by: string;
  drawn_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  started_by: string | null;
  started_at: Date | null;
  carried_at: Date | null;
  filed_code: string | null;
  filed_digest: string | null;
  filed_at: Date | null;
  withdrawn_by: ColumnType<string | null, string | null | undefined, string | null>;
  withdrawn_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  withdraw_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DestructionRowTable {
  register_id: number;
  seq: number;
  item_id: number;
  archive_code: string;
  title: string;
  year: number;
  retention: string;
  category_id: number;
  item_version: number;
  expires_on: ColumnType<string | null, string | null, string | null>;
  pages: number;
  files: number;
  carrier: string;
  reason: string;
  note: string | null;
  state: ColumnType<RowState, RowState | undefined, RowState>;
  destroyed_at: Date | null;
  destroyed_digest: string | null;
  /** The blob digests the carry-out shreds for this row (fixed before the first key is destroyed). */
  blobs: ColumnType<string[], string[] | undefined, string[]>;
  paper_method: string | null;
  paper_place: string | null;
  paper_at: Date | null;
  paper_witnesses: string[] | null;
  paper_confirmed_by: string | null;
  /** Why the carry-out refused the row (a REFUSAL_REASONS code). */
  refusal: ColumnType<string | null, string | null | undefined, string | null>;
  /** Digest of the item's file list when drawn: a file attached since is a change. */
  files_digest: ColumnType<string, string | undefined, string>;
  /** Where the paper lies (库房/柜/层/盒) until it is destroyed. */
  paper_location: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DestructionSignatureTable {
  register_id: number;
  role: SignRole;
  username: string;
  signed_at: Date;
}

export interface DestructionTables {
  destruction_sequence: DestructionSequenceTable;
  destruction_register: DestructionRegisterTable;
  destruction_row: DestructionRowTable;
  destruction_signature: DestructionSignatureTable;
}
