import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { RowRefusal } from './settlement.fields.js';

// fund_import: one row per extract (found again by its digest, so a re-run continues it) or per push
// batch, with its counts and the refused rows.

export interface ImportRecord {
  id: number;
  fileDigest: string;
  fileName: string;
  encoding: string;
  via: 'file' | 'push';
  totalRows: number;
  totalSettlements: number;
  imported: number;
  refused: number;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

/** Stored refused rows per import at most (the report says when more were left out). */
export const MAX_STORED_REFUSALS = 20_000;

const COLUMNS = sql`id, file_digest as "fileDigest", file_name as "fileName", encoding, via, total_rows as "totalRows",
  total_settlements as "totalSettlements", imported, refused, created_by as "createdBy",
  created_at::text as "createdAt", finished_at::text as "finishedAt"`;

/** The import of this file (by digest), created if new; `resumed` when it existed. */
export async function openFileImport(
  db: Db,
  file: { digest: string; name: string; encoding: string; rows: number; settlements: number },
  actor: string,
): Promise<{ id: number; resumed: boolean }> {
  const inserted = await sql<{ id: number }>`
    insert into fund_import (file_digest, file_name, encoding, via, total_rows, total_settlements, created_by)
    values (${file.digest}, ${file.name}, ${file.encoding}, 'file', ${file.rows}, ${file.settlements}, ${actor})
    on conflict (file_digest) where via = 'file' do nothing returning id`.execute(db);
  if (inserted.rows[0]) return { id: Number(inserted.rows[0].id), resumed: false };
  const found = await sql<{ id: number }>`
    select id from fund_import where file_digest = ${file.digest} and via = 'file'`.execute(db);
  return { id: Number(found.rows[0]?.id), resumed: true };
}

export async function createPushImport(
  db: Db,
  push: { digest: string; settlements: number },
  actor: string,
): Promise<number> {
  const inserted = await sql<{ id: number }>`
    insert into fund_import (file_digest, file_name, encoding, via, total_rows, total_settlements, created_by)
    values (${push.digest}, '推送', 'json', 'push', ${push.settlements}, ${push.settlements}, ${actor}) returning id`.execute(
    db,
  );
  return Number(inserted.rows[0]?.id);
}

export async function finishImport(
  db: Db,
  id: number,
  counts: { imported: number; refused: number },
  refusals: readonly RowRefusal[],
): Promise<void> {
  await sql`
    update fund_import set imported = ${counts.imported}, refused = ${counts.refused},
      report = ${JSON.stringify(refusals.slice(0, MAX_STORED_REFUSALS))}::jsonb, finished_at = now()
    where id = ${id}`.execute(db);
}

/** Settlements stored under this import (a re-run's progress). */
export async function importedCount(db: Db, id: number): Promise<number> {
  const result = await sql<{
    n: number;
  }>`select count(*)::int as n from fund_settlement where import_id = ${id}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

export async function listImports(
  db: Db,
  limit: number,
  beforeId?: number,
  by?: string,
): Promise<ImportRecord[]> {
  const result = await sql<ImportRecord>`
    select ${COLUMNS} from fund_import where ${beforeId === undefined ? sql`true` : sql`id < ${beforeId}`}
      and ${by === undefined ? sql`true` : sql`created_by = ${by}`}
    order by id desc limit ${limit}`.execute(db);
  return result.rows.map((row) => ({ ...row, id: Number(row.id) }));
}

export async function readImport(
  db: Db,
  id: number,
): Promise<(ImportRecord & { report: RowRefusal[] }) | undefined> {
  const result = await sql<ImportRecord & { report: unknown }>`
    select ${COLUMNS}, report from fund_import where id = ${id}`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  const report = typeof row.report === 'string' ? JSON.parse(row.report) : row.report;
  return { ...row, id: Number(row.id), report: report as RowRefusal[] };
}
