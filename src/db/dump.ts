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
  // Getting archives in: idempotency receipts (a retried push must still find its 档号), import jobs,
  // duplicate flags, scans with their OCR state, QC rounds and four-property check reports.
  { name: 'ingest_receipt', key: ['id'], serial: 'id' },
  { name: 'import_mapping', key: ['name'] },
  { name: 'import_job', key: ['id'], serial: 'id' },
  { name: 'import_line', key: ['job_id', 'line'] },
  { name: 'duplicate_flag', key: ['id'], serial: 'id' },
  { name: 'scan_batch', key: ['id'], serial: 'id' },
  { name: 'scan_page', key: ['item_id', 'page'] },
  { name: 'qc_round', key: ['id'], serial: 'id' },
  { name: 'qc_sample', key: ['round_id', 'item_id', 'page'] },
  { name: 'check_run', key: ['id'], serial: 'id' },
  { name: 'check_result', key: ['run_id', 'item_id', 'check_id'] },
  // The console's saved searches and the history of verify runs.
  { name: 'saved_search', key: ['user_id', 'name'] },
  { name: 'verify_run', key: ['id'], serial: 'id' },
  // Each account's inbox (站内通知), read or not.
  { name: 'notice', key: ['id'], serial: 'id' },
  // 医保扶贫: the insured roster with what the ledgers are made from, and reconciliation runs.
  { name: 'insured_person', key: ['id'], serial: 'id' },
  { name: 'enrollment', key: ['id'], serial: 'id' },
  { name: 'assistance_status', key: ['id'], serial: 'id' },
  { name: 'contribution', key: ['id'], serial: 'id' },
  { name: 'assistance_settlement', key: ['id'], serial: 'id' },
  { name: 'disease_certificate', key: ['id'], serial: 'id' },
  { name: 'reconciliation_run', key: ['id'], serial: 'id' },
  // Background work still to do (checks, OCR pages) and the recurring schedules; leases do not travel.
  { name: 'job', key: ['id'], serial: 'id' },
  { name: 'job_schedule', key: ['name'] },
  // 借阅: the rules, the yearly number sequence, the loans and their items (hand-over, return check).
  { name: 'loan_rule', key: ['id'], serial: 'id' },
  { name: 'loan_sequence', key: ['year'] },
  { name: 'loan', key: ['id'], serial: 'id' },
  { name: 'loan_item', key: ['loan_id', 'item_id'] },
  // Loan reminders sent (after the loans they belong to).
  { name: 'loan_reminder', key: ['loan_id', 'offset_days', 'due_on'] },
  // Certified copies issued to insured people, as issued: their codes must still check after a restore.
  { name: 'insured_copy', key: ['id'], serial: 'id' },
  // 冻结: legal holds (after the fonds, categories and items they name), their explicit item lists.
  { name: 'legal_hold_sequence', key: ['year'] },
  { name: 'legal_hold', key: ['id'], serial: 'id' },
  { name: 'legal_hold_item', key: ['hold_id', 'item_id'] },
  // 到期与鉴定: the expiry list's summary (the refresh job would rebuild it, but only at its next run),
  // the appraisal rounds, their groups and each item's proposal and decision.
  { name: 'expiry_entry', key: ['fonds_code', 'year', 'category_id', 'item_retention', 'region_key'] },
  { name: 'appraisal_round', key: ['id'], serial: 'id' },
  { name: 'appraisal_member', key: ['round_id', 'username'] },
  { name: 'appraisal_item', key: ['round_id', 'item_id'] },
  // 销毁清册: the registers, their rows and signatures, kept permanently; a restore must also know
  // the register numbers already issued.
  { name: 'destruction_sequence', key: ['fonds_code', 'year'] },
  { name: 'destruction_register', key: ['id'], serial: 'id' },
  { name: 'destruction_row', key: ['register_id', 'seq'] },
  { name: 'destruction_signature', key: ['register_id', 'role', 'username'] },
  // 移交批次: the batches and their items (the 登记表 and 回执 are kept with them); a restore must know
  // the batch numbers issued.
  { name: 'transfer_sequence', key: ['fonds_code', 'year'] },
  { name: 'transfer_batch', key: ['id'], serial: 'id' },
  { name: 'transfer_item', key: ['batch_id', 'seq'] },
  // 接收: the bags received, each item's outcome and history, and the 回执 returned.
  { name: 'receive_bag', key: ['id'], serial: 'id' },
  { name: 'receive_item', key: ['bag_id', 'seq'] },
  // 基金监管: the 医保目录 and the settlements with their persons and import batches; the audit rules'
  // settings, runs and clues; the cases (核查) with their notes, evidence, holds and clues; 安全事件.
  { name: 'fund_item', key: ['code'] },
  { name: 'fund_person', key: ['person_key'] },
  { name: 'fund_import', key: ['id'], serial: 'id' },
  { name: 'fund_settlement', key: ['id'], serial: 'id' },
  { name: 'fund_settlement_line', key: ['settlement_id', 'line_no'] },
  { name: 'fund_rule_setting', key: ['rule_code'] },
  { name: 'fund_run', key: ['id'], serial: 'id' },
  { name: 'fund_clue', key: ['id'], serial: 'id' },
  { name: 'fund_case_sequence', key: ['year'] },
  { name: 'fund_case', key: ['id'], serial: 'id' },
  { name: 'fund_case_note', key: ['id'], serial: 'id' },
  { name: 'fund_case_evidence', key: ['case_id', 'archive_code'] },
  { name: 'fund_case_hold', key: ['case_id', 'hold_code'] },
  { name: 'fund_case_clue', key: ['case_id', 'clue_id'] },
  { name: 'kpi_incident_sequence', key: ['year'] },
  { name: 'kpi_incident', key: ['id'], serial: 'id' },
];

/**
 * Tables a backup leaves out on purpose: sign-in sessions (a restored system starts signed out), the
 * search index (rebuilt from the log by the indexer), the 利用登记簿 (rebuilt from the log by its
 * follower, 利用效果 included: each is an event), 谁查看了我的档案 (insured_view, rebuilt from the log by
 * its follower) and the migration bookkeeping (written by the
 * migrations the restore runs).
 */
export const NOT_DUMPED = [
  'user_session',
  'search_doc',
  'search_state',
  'use_register',
  'use_subject',
  'use_state',
  'insured_view',
  'insured_view_state',
  'yidang_migration',
  'yidang_migration_lock',
  'job_lease',
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
  // Identity columns keep the backup's ids (generated-always columns refuse them otherwise).
  await sql`
    insert into ${table} overriding system value
    select * from jsonb_populate_recordset(null::${table}, ${`[${lines.join(',')}]`}::jsonb)`.execute(db);
}

/** The tables of the public schema, as they stand (a restore may stop at an older schema version). */
export async function existingTables(db: Db): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
  return result.rows.map((row) => row.name);
}

export async function resetSerials(db: Db, present?: ReadonlySet<string>): Promise<void> {
  for (const table of DUMP_TABLES) {
    if (!table.serial || (present && !present.has(table.name))) continue;
    await sql`
      select setval(pg_get_serial_sequence(${table.name}, ${table.serial}),
        coalesce((select max(${sql.ref(table.serial)}) from ${sql.table(table.name)}), 0) + 1, false)`.execute(
      db,
    );
  }
}
