import type { ColumnType, Generated } from 'kysely';

// Row shape of the table the duplicates module owns: a later filing flagged against an earlier one.

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

export interface DuplicateTables {
  duplicate_flag: DuplicateFlagTable;
}
