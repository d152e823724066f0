import type { ColumnType, Generated } from 'kysely';

// Row shapes of the legal-hold (冻结) tables the catalog owns (see the holds migration).

export type HoldSelectorKind = 'items' | 'query' | 'category_year';
export type HoldSource = 'manual' | 'case';

export interface LegalHoldTable {
  id: Generated<number>;
  code: string;
  fonds_code: string;
  selector_kind: HoldSelectorKind;
  category_id: number | null;
  year: number | null;
  /** Blind index of the person's ID number; the number itself is never stored. */
  id_number_index: string | null;
  id_number_masked: string | null;
  insured_number: string | null;
  org_code: string | null;
  institution_code: string | null;
  business_type: string | null;
  reason: string;
  case_ref: string | null;
  source: ColumnType<HoldSource, HoldSource | undefined, never>;
  placed_by: string;
  placed_at: ColumnType<Date, Date | undefined, never>;
  lifted_by: string | null;
  lifted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  lift_reason: string | null;
}

export interface LegalHoldItemTable {
  hold_id: number;
  item_id: number;
}

export interface LegalHoldSequenceTable {
  year: number;
  last_number: number;
}

export interface HoldTables {
  legal_hold: LegalHoldTable;
  legal_hold_item: LegalHoldItemTable;
  legal_hold_sequence: LegalHoldSequenceTable;
}
