import type { ColumnType } from 'kysely';

// The expiry list's summary (到期档案), refreshed per fonds by disposition's job through expiry.refresh.ts.

export interface ExpiryEntryTable {
  fonds_code: string;
  year: number;
  category_id: number;
  item_retention: string;
  /** The item's pooling region, or '' where it has none (the fonds's region applies). */
  region_key: string;
  effective_retention: string;
  expires_on: ColumnType<string | null, string | null, string | null>;
  items: number;
  refreshed_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ExpiryTables {
  expiry_entry: ExpiryEntryTable;
}
