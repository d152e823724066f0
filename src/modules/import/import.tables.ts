import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the import module owns: saved mappings, jobs and their filed lines (see
// the import migration).

export interface ImportMappingTable {
  name: string;
  /** ImportMapping as JSON. */
  mapping: ColumnType<unknown, string, string>;
  saved_by: string;
  saved_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ImportJobTable {
  id: Generated<number>;
  file_digest: string;
  mapping_digest: string;
  file_name: string;
  total_rows: number;
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** A line of an imported file that was filed, committed with its batch. */
export interface ImportLineTable {
  job_id: number;
  line: number;
  item_id: number;
  archive_code: string;
}

export interface ImportTables {
  import_mapping: ImportMappingTable;
  import_job: ImportJobTable;
  import_line: ImportLineTable;
}
