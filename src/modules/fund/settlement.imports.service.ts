import type { Db } from '../../db/database.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { notFound } from '../../shared/errors.js';
import { authorizeFund } from './settlement.access.js';
import type { RowRefusal } from './settlement.fields.js';
import { type ImportRecord, listImports, readImport } from './settlement.import.repo.js';
import { fundRegions } from './settlement.scope.js';

// The imports (extracts and push batches) and their refused rows, for those who import (fund.import).
// A report names serials of whatever regions the file held, so a caller whose scope is some regions
// sees only the imports they made themselves; one reaching every region sees all.

async function seesAll(db: Db, access: AccessContext): Promise<boolean> {
  return access.kind === 'system' || (await fundRegions(db, access)) === null;
}

export async function listSettlementImports(
  db: Db,
  access: AccessContext,
  query: { cursor?: number; limit?: number },
): Promise<{ imports: ImportRecord[]; nextCursor: number | null }> {
  authorizeFund(access, 'fund.import');
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  const all = await seesAll(db, access);
  const rows = await listImports(db, limit, query.cursor, all ? undefined : actorIn(access));
  return { imports: rows, nextCursor: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
}

export async function readSettlementImport(
  db: Db,
  access: AccessContext,
  id: number,
): Promise<ImportRecord & { report: RowRefusal[] }> {
  authorizeFund(access, 'fund.import');
  const found = await readImport(db, id);
  if (!found || (!(await seesAll(db, access)) && found.createdBy !== actorIn(access)))
    throw notFound('FUND_IMPORT_NOT_FOUND', `导入批次 ${id} 不存在`);
  return found;
}
