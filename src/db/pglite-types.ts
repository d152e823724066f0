import type { ParserOptions } from '@electric-sql/pglite';

// Both drivers return the same JS types: int8 as number (ids and counts stay far below 2^53),
// numeric and date as strings (exact money, no time-zone shift of calendar dates). PGlite takes its
// parsers where it runs, so the engine's worker thread imports them from here too.

export const INT8 = 20;
export const DATE = 1082;
export const NUMERIC = 1700;
export const identity = (value: string) => value;

export const PGLITE_PARSERS: ParserOptions = { [INT8]: Number, [DATE]: identity, [NUMERIC]: identity };

/** What the pool and the tests need of an embedded engine, in this thread or on its worker. */
export interface EmbeddedEngine {
  readonly closed: boolean;
  query(sql: string, parameters?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  /** The data directory as a tarball (tests copy a migrated template; scans read raw bytes). */
  dumpDataDir(compression?: 'none' | 'gzip' | 'auto'): Promise<Blob>;
  close(): Promise<void>;
}
