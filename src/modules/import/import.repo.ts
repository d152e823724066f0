import type { Db } from '../../db/database.js';
import type { ImportMapping } from './import.mapping.js';

// The only SQL of batch import: saved mappings, import jobs and the lines each has filed.

export async function saveMapping(
  db: Db,
  name: string,
  mapping: ImportMapping,
  actor: string,
): Promise<void> {
  const row = { name, mapping: JSON.stringify(mapping), saved_by: actor, saved_at: new Date() };
  await db
    .insertInto('import_mapping')
    .values(row)
    .onConflict((conflict) =>
      conflict.column('name').doUpdateSet({ mapping: row.mapping, saved_by: actor, saved_at: row.saved_at }),
    )
    .execute();
}

export async function findMapping(db: Db, name: string): Promise<ImportMapping | undefined> {
  const row = await db
    .selectFrom('import_mapping')
    .select('mapping')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) return undefined;
  return (typeof row.mapping === 'string' ? JSON.parse(row.mapping) : row.mapping) as ImportMapping;
}

export async function listMappings(db: Db): Promise<Array<{ name: string; savedBy: string; savedAt: Date }>> {
  const rows = await db
    .selectFrom('import_mapping')
    .select(['name', 'saved_by', 'saved_at'])
    .orderBy('name')
    .execute();
  return rows.map((row) => ({ name: row.name, savedBy: row.saved_by, savedAt: new Date(row.saved_at) }));
}

/** The job of this file under this mapping: the one begun before (resumed) or a new one. */
export async function openJob(
  db: Db,
  job: { fileDigest: string; mappingDigest: string; fileName: string; totalRows: number; actor: string },
): Promise<{ id: number; resumed: boolean }> {
  const created = await db
    .insertInto('import_job')
    .values({
      file_digest: job.fileDigest,
      mapping_digest: job.mappingDigest,
      file_name: job.fileName,
      total_rows: job.totalRows,
      created_by: job.actor,
    })
    .onConflict((conflict) => conflict.columns(['file_digest', 'mapping_digest']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (created) return { id: Number(created.id), resumed: false };
  const existing = await db
    .selectFrom('import_job')
    .select('id')
    .where('file_digest', '=', job.fileDigest)
    .where('mapping_digest', '=', job.mappingDigest)
    .executeTakeFirstOrThrow();
  return { id: Number(existing.id), resumed: true };
}

export async function filedLines(db: Db, jobId: number): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('import_line')
    .select(['line', 'archive_code'])
    .where('job_id', '=', jobId)
    .execute();
  return new Map(rows.map((row) => [row.line, row.archive_code]));
}

export async function recordLines(
  db: Db,
  jobId: number,
  lines: ReadonlyArray<{ line: number; itemId: number; archiveCode: string }>,
): Promise<void> {
  if (lines.length === 0) return;
  await db
    .insertInto('import_line')
    .values(
      lines.map((line) => ({
        job_id: jobId,
        line: line.line,
        item_id: line.itemId,
        archive_code: line.archiveCode,
      })),
    )
    .execute();
}

export async function finishJob(db: Db, jobId: number): Promise<void> {
  await db.updateTable('import_job').set({ finished_at: new Date() }).where('id', '=', jobId).execute();
}
