import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { archivesOfClue, attachCluesToCase, readClue, releaseCluesFromCase } from '../fund/clue.service.js';

// The 线索 a case examines, read and moved through the fund module's clue service (its tables are its
// own): read in the caller's scope (a clue outside it is FUND_CLUE_NOT_FOUND, like one that does not
// exist), attached (open → in_case; a clue not open is FUND_CLUE_STATE, so a dismissed clue or one in
// another case cannot be taken), released (in_case → open), and the archives behind them — items filed
// for their settlements' 结算流水号, found through catalog with the caller's context.

export interface CaseClue {
  id: number;
  rule: string;
  ruleName: string;
  ruleVersion: number;
  amount: string;
  region: string;
}

export async function readCaseClues(
  db: Db,
  access: AccessContext,
  ids: readonly number[],
): Promise<CaseClue[]> {
  const clues: CaseClue[] = [];
  for (const id of ids) {
    const clue = await readClue(db, access, id);
    clues.push({
      id: clue.id,
      rule: clue.rule,
      ruleName: clue.ruleName,
      ruleVersion: clue.ruleVersion,
      amount: clue.amount,
      region: clue.region,
    });
  }
  return clues;
}

export async function attachClues(
  db: Db,
  access: AccessContext,
  ids: readonly number[],
  caseCode: string,
): Promise<void> {
  if (ids.length > 0) await attachCluesToCase(db, access, ids, caseCode);
}

export async function releaseClues(
  db: Db,
  access: AccessContext,
  ids: readonly number[],
  caseCode: string,
): Promise<void> {
  if (ids.length > 0) await releaseCluesFromCase(db, access, ids, caseCode);
}

/** The 档号 of the archives behind the clues that the caller may see (in their scope). */
export async function archivesOfClues(
  db: Db,
  access: AccessContext,
  ids: readonly number[],
): Promise<string[]> {
  const codes = new Set<string>();
  for (const id of ids)
    for (const archive of await archivesOfClue(db, access, id)) codes.add(archive.archiveCode);
  return [...codes];
}
