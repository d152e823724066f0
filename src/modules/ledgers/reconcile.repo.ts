import type { Db } from '../../db/database.js';

// The only SQL of reconciliation runs.

export interface RunInsert {
  source: string;
  fileName: string;
  fileDigest: string;
  rowCount: number;
  summary: Record<string, unknown>;
  findings: string;
  actor: string;
  durationMs: number;
}

export async function insertRun(db: Db, run: RunInsert): Promise<number> {
  const row = await db
    .insertInto('reconciliation_run')
    .values({
      source: run.source,
      file_name: run.fileName,
      file_digest: run.fileDigest,
      row_count: run.rowCount,
      summary: JSON.stringify(run.summary),
      findings: run.findings,
      actor: run.actor,
      duration_ms: run.durationMs,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export interface RunRow {
  id: number;
  source: string;
  fileName: string;
  fileDigest: string;
  rowCount: number;
  summary: Record<string, unknown>;
  findings: string;
  actor: string;
  createdAt: Date;
  durationMs: number;
}

const columns = [
  'id',
  'source',
  'file_name as fileName',
  'file_digest as fileDigest',
  'row_count as rowCount',
  'summary',
  'findings',
  'actor',
  'created_at as createdAt',
  'duration_ms as durationMs',
] as const;

const parsed = (row: RunRow): RunRow => ({
  ...row,
  id: Number(row.id),
  createdAt: new Date(row.createdAt),
  summary: typeof row.summary === 'string' ? JSON.parse(row.summary) : row.summary,
});

/** A run by id, only if `owner` ran it: another user's run is not found, exactly like a missing one. */
export async function findRun(db: Db, id: number, owner: string): Promise<RunRow | undefined> {
  const row = await db
    .selectFrom('reconciliation_run')
    .select(columns)
    .where('id', '=', id)
    .where('actor', '=', owner)
    .executeTakeFirst();
  return row ? parsed(row as RunRow) : undefined;
}

/** The owner's own runs, newest first. */
export async function listRuns(
  db: Db,
  limit: number,
  owner: string,
): Promise<Array<Omit<RunRow, 'findings'>>> {
  const rows = await db
    .selectFrom('reconciliation_run')
    .select(columns.filter((column) => column !== 'findings'))
    .where('actor', '=', owner)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const { findings: _unused, ...rest } = parsed({ ...(row as RunRow), findings: '' });
    return rest;
  });
}
