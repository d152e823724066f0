import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { findIdNumbers } from '../../src/shared/id-in-text.js';

// Proof that no ID number sits in the clear in the database: every text-like column of every table
// (text, varchar, json, jsonb, arrays, tsvector, bytea read as escaped text) is read back and searched
// for valid ID numbers, full-width and spaced forms included; on PGlite the data directory's bytes
// (WAL too) are searched for the numbers the test typed.

export interface ClearIdFinding {
  table: string;
  column: string;
  /** The ID number found, masked (never print one in full). */
  masked: string;
}

const TEXTUAL = [
  'text',
  'character varying',
  'character',
  'json',
  'jsonb',
  'bytea',
  'tsvector',
  'ARRAY',
  'USER-DEFINED',
];

/** Every valid ID number stored in the clear, by table and column. */
export async function clearIdNumbersInTables(database: Database): Promise<ClearIdFinding[]> {
  const { db } = database;
  const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select c.table_name, c.column_name, c.data_type from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      and c.data_type = any(${TEXTUAL}::text[])
    order by c.table_name, c.ordinal_position`.execute(db);
  const findings: ClearIdFinding[] = [];
  for (const { table_name: table, column_name: column, data_type: type } of columns.rows) {
    const value =
      type === 'bytea' ? sql`encode(${sql.ref(column)}, 'escape')` : sql`${sql.ref(column)}::text`;
    const rows = await sql<{ v: string }>`
      select ${value} as v from ${sql.table(table)} where ${sql.ref(column)} is not null`.execute(db);
    for (const row of rows.rows)
      for (const found of findIdNumbers(row.v))
        findings.push({
          table,
          column,
          masked: `${found.idNumber.slice(0, 6)}********${found.idNumber.slice(-4)}`,
        });
  }
  return findings;
}

/** How many textual columns the scan reads (so a test can show it read more than a handful). */
export async function textualColumnCount(database: Database): Promise<number> {
  const result = await sql<{ count: number }>`
    select count(*)::int as count from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      and c.data_type = any(${TEXTUAL}::text[])`.execute(database.db);
  return Number(result.rows[0]?.count ?? 0);
}

const fullWidth = (text: string) =>
  text.replace(/[0-9X]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));

/**
 * On PGlite, the numbers found in the raw bytes of the data directory (tables, indexes, WAL), as
 * typed or full-width; undefined on PostgreSQL, whose files this process cannot read.
 */
export async function idNumbersInDataFiles(
  database: Database,
  idNumbers: readonly string[],
): Promise<string[] | undefined> {
  if (!database.pglite) return undefined;
  await database.pglite.exec('checkpoint');
  const dump = Buffer.from(await (await database.pglite.dumpDataDir('none')).arrayBuffer());
  return idNumbers.filter(
    (id) => dump.includes(Buffer.from(id, 'utf8')) || dump.includes(Buffer.from(fullWidth(id), 'utf8')),
  );
}
