import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';

// The 线索 a case examines, read and moved through the fund module's clue service (its tables are
// its own): read in the caller's scope (a clue outside it is not found), attached (open → in_case)
// and released (in_case → open), and the 档号 of the archives behind them. Until that service is
// in this build a case is opened by hand only.

export interface CaseClue {
  id: number;
  rule: string;
  ruleName: string;
  ruleVersion: number;
  amount: string;
  region: string;
}

const unavailable = () =>
  invalid('CASE_INPUT_INVALID', '智能审核线索尚未启用：请人工立案（说明立案依据，如举报）');

export async function readCaseClues(
  _db: Db,
  _access: AccessContext,
  ids: readonly number[],
): Promise<CaseClue[]> {
  if (ids.length > 0) throw unavailable();
  return [];
}

export async function attachClues(
  _db: Db,
  _access: AccessContext,
  ids: readonly number[],
  _caseCode: string,
): Promise<void> {
  if (ids.length > 0) throw unavailable();
}

export async function releaseClues(
  _db: Db,
  _access: AccessContext,
  ids: readonly number[],
  _caseCode: string,
): Promise<void> {
  if (ids.length > 0) throw unavailable();
}

/** The 档号 and fonds of the archives behind the clues, as the caller may see them. */
export async function archivesOfClues(
  _db: Db,
  _access: AccessContext,
  ids: readonly number[],
): Promise<string[]> {
  if (ids.length > 0) throw unavailable();
  return [];
}
