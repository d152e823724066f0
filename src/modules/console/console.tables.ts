import type { ColumnType } from 'kysely';

// Row shapes of the tables the console module owns (see the console migration).

export interface SavedSearchTable {
  user_id: number;
  /** The user's own label, unique per user (1–40 characters). */
  name: string;
  /** The search expression as typed (检索式). */
  query: string;
  /** The search's filter parameters (category, fonds, yearFrom, …), as the search route takes them. */
  filters: ColumnType<Record<string, unknown>, string, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ConsoleTables {
  saved_search: SavedSearchTable;
}
