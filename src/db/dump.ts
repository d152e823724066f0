import { sql } from 'kysely';
import type { Db } from './database.js';

// A logical dump of every table, as PostgreSQL's own JSON of each row (exact timestamps, numerics
// and bytea), read in key order in batches. The same dump loads into PGlite or a PostgreSQL server.

interface DumpTable {
  name: string;
  key: string[];
  /** Serial column whose sequence must continue after the restored rows. */
  serial?: string;
}

/** Parents before children, so foreign keys hold while loading. */
export const DUMP_TABLES: DumpTable[] = [
  { name: 'fonds', key: ['code'] },
  { name: 'category', key: ['id'], serial: 'id' },
  { name: 'retention_override', key: ['id'], serial: 'id' },
  { name: 'archive_sequence', key: ['fonds_code', 'sequence_key'] },
  { name: 'archive_item', key: ['id'], serial: 'id' },
  { name: 'archive_item_version', key: ['item_id', 'version'] },
  { name: 'integrity_log', key: ['id'] },
  { name: 'integrity_event', key: ['seq'] },
  { name: 'integrity_checkpoint', key: ['id'], serial: 'id' },
  { name: 'storage_blob', key: ['digest'] },
  { name: 'storage_copy', key: ['digest', 'replica'] },
  { name: 'item_file', key: ['item_id', 'file_number'] },
  { name: 'item_page_text', key: ['item_id', 'page'] },
  { name: 'fixity_run', key: ['id'], serial: 'id' },
  { name: 'fixity_finding', key: ['run_id', 'digest', 'replica'] },
  // Accounts travel with the archives; sign-in sessions do not (a restored system starts signed out).
  { name: 'app_user', key: ['id'], serial: 'id' },
  { name: 'user_role', key: ['user_id', 'role'] },
  { name: 'user_scope', key: ['id'], serial: 'id' },
  { name: 'api_token', key: ['id'] },
  { name: 'access_request', key: ['id'], serial: 'id' },
  { name: 'access_request_item', key: ['request_id', 'item_id'] },
];

const BATCH = 5000;

/** Yields each row of a table as one JSON line; run it inside a repeatable-read transaction. */
export async function* dumpTable(db: Db, table: DumpTable): AsyncGenerator<string[]> {
  const keyList = sql.raw(table.key.join(', '));
  let after: unknown[] | undefined;
  for (;;) {
    const condition = after
      ? sql`where (${keyList}) > (${sql.join(after.map((value) => sql`${value}`))})`
      : sql``;
    const result = await sql<{ line: string }>`
      select row_to_json(t)::text as line from ${sql.table(table.name)} t ${condition}
      order by ${keyList} limit ${BATCH}`.execute(db);
    if (result.rows.length === 0) return;
    const lines = result.rows.map((row) => row.line);
    yield lines;
    const last = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
    after = table.key.map((column) => last[column]);
    if (lines.length < BATCH) return;
  }
}

/** Loads JSON lines into a table through the server's own record parsing. */
export async function loadRows(db: Db, tableName: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const table = sql.table(tableName);
  await sql`
    insert into ${table}
    select * from jsonb_populate_recordset(null::${table}, ${`[${lines.join(',')}]`}::jsonb)`.execute(db);
}

export async function resetSerials(db: Db): Promise<void> {
  for (const table of DUMP_TABLES) {
    if (!table.serial) continue;
    await sql`
      select setval(pg_get_serial_sequence(${table.name}, ${table.serial}),
        coalesce((select max(${sql.ref(table.serial)}) from ${sql.table(table.name)}), 0) + 1, false)`.execute(
      db,
    );
  }
}
