import type { ColumnType, Generated, JSONColumnType } from 'kysely';

// Row shapes of the tables the catalog module owns (see the catalog migration).

type CreatedAt = ColumnType<Date, never, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export interface FondsTable {
  code: string;
  name: string;
  region_code: string;
  archive_code_pattern: string;
  /** Least resolution a scanned page needs, and whether a page below it is refused or kept and flagged. */
  scan_min_dpi: ColumnType<number, number | undefined, number>;
  scan_low_dpi: ColumnType<'reject' | 'flag', 'reject' | 'flag' | undefined, 'reject' | 'flag'>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ExtraFieldSpec {
  key: string;
  label: string;
  type: 'text' | 'date' | 'amount' | 'integer' | 'region' | 'enum';
  required: boolean;
  maxLength?: number;
  options?: string[];
}

export interface CategoryTable {
  id: Generated<number>;
  code: string;
  name: string;
  parent_id: number | null;
  default_retention: string;
  retention_basis: string;
  default_sensitivity: string;
  requires_person: boolean;
  requires_amount: boolean;
  extra_fields: JSONColumnType<ExtraFieldSpec[]>;
  status: ColumnType<'active' | 'retired', 'active' | 'retired' | undefined>;
  builtin: ColumnType<boolean, boolean | undefined>;
  sort_order: ColumnType<number, number | undefined>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface RetentionOverrideTable {
  id: Generated<number>;
  category_id: number;
  region_code: string;
  retention: string;
  reason: string;
  created_by: string;
  created_at: UpdatedAt;
}

export interface ArchiveSequenceTable {
  fonds_code: string;
  sequence_key: string;
  last_number: number;
}

export interface PaperLocation {
  warehouse: string;
  cabinet: string;
  shelf: string;
  box: string;
}

export interface ArchiveItemTable {
  id: Generated<number>;
  archive_code: string;
  fonds_code: string;
  category_id: number;
  year: number;
  retention: string;
  retention_expires_on: string | null;
  org_code: string;
  item_number: number;
  title: string;
  doc_number: string | null;
  responsible: string;
  doc_date: string;
  security_level: string;
  insured_number: string | null;
  /** Ciphertext ("v1:…"); see access/field-cipher.ts. */
  id_number: string | null;
  /** Blind index of the ID number: exact look-up without decrypting. */
  id_number_index: ColumnType<string | null, string | null | undefined, string | null>;
  person_name: string | null;
  business_type: string | null;
  handled_at: Date | null;
  handler: string | null;
  handling_agency: string | null;
  pooling_region: string | null;
  amount: string | null;
  carrier: string;
  paper_location: JSONColumnType<PaperLocation | null, string | null, string | null>;
  sensitivity: string;
  extra: JSONColumnType<Record<string, unknown>>;
  version: number;
  change_reason: string | null;
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_by: string;
  updated_at: UpdatedAt;
  /** The tombstone (tombstone.ts): the 销毁清册 that destroyed the item, when, and the digest of what went. */
  destroyed_register: ColumnType<string | null, string | null | undefined, string | null>;
  destroyed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  destroyed_digest: ColumnType<string | null, string | null | undefined, string | null>;
  /** The blind index of the person the destroyed record named: only their own window reads it. */
  destroyed_person_index: ColumnType<string | null, string | null | undefined, string | null>;
  /** When every replica confirmed the destroyed item's copies deleted (null: 销毁中（待副本确认）). */
  destroyed_confirmed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** 已移交 (transferred.ts): the batch the receiver accepted it in, when, and until when the copy is kept. */
  transferred_batch: ColumnType<string | null, string | null | undefined, string | null>;
  transferred_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  transfer_keep_until: ColumnType<string | null, string | null | undefined, string | null>;
  /** 接收 (received.ts): filed from another agency's package — its 档号 (原档号), 来源单位 and 移交批次. */
  received_code: ColumnType<string | null, string | null | undefined, string | null>;
  received_from: ColumnType<string | null, string | null | undefined, string | null>;
  received_batch: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ArchiveItemVersionTable {
  item_id: number;
  version: number;
  snapshot: JSONColumnType<Record<string, unknown>>;
  changed_by: string;
  changed_at: ColumnType<Date, Date | string, never>;
  reason: string | null;
}

export interface CatalogTables {
  fonds: FondsTable;
  category: CategoryTable;
  retention_override: RetentionOverrideTable;
  archive_sequence: ArchiveSequenceTable;
  archive_item: ArchiveItemTable;
  archive_item_version: ArchiveItemVersionTable;
}
