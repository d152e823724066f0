import type { ColumnType } from 'kysely';

// Row shapes of the tables the search module owns (see the search migration).

export interface SearchDocTable {
  item_id: number;
  fonds_code: string;
  category_id: number;
  year: number;
  retention: string;
  pooling_region: string | null;
  carrier: string;
  sensitivity: string;
  doc_date: string;
  amount: string | null;
  version: number;
  /** 题名, normalized as queries are (NFKC, lower case): phrases are checked against it without a join. */
  title: string;
  /** The other metadata text, normalized the same way, one field a line (null: indexed before it was kept). */
  body: string | null;
  /** tsvector, written and read as its text form. */
  terms: string;
}

export interface SearchStateTable {
  id: number;
  /** The last integrity_event.seq the index has taken in (−1: none yet). */
  last_seq: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ItemPageTextTable {
  item_id: number;
  page: number;
  text: string;
  confidence: number | null;
  recorded_at: ColumnType<Date, Date | undefined, never>;
}

export interface SearchTables {
  search_doc: SearchDocTable;
  search_state: SearchStateTable;
  item_page_text: ItemPageTextTable;
}
