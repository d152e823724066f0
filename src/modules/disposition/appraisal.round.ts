import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { conflict, notFound } from '../../shared/errors.js';
import { findRound, type RoundRow, roundMembers } from './appraisal.repo.js';

// What every step of a 鉴定批次 asks first: may the caller appraise, does the round exist within the
// caller's scope, is it still open, and who is acting.

/** The most items one request adds to a round (a larger list is added a part at a time). */
export const MAX_ROUND_ADD = 10_000;

export const appraisalSubject = (code: string) => `appraisal:${code}`;

export function mayAppraise(access: AccessContext): void {
  if (access.kind === 'principal') access.authorize('appraisal.work');
}

/** Whether the context's scope reaches into the fonds at all (its items are then narrowed by the scope). */
export function fondsInScope(access: AccessContext, fonds: string): boolean {
  return (
    access.kind === 'system' ||
    access.scope.rows.some((row) => row.fondsCode === null || row.fondsCode === fonds)
  );
}

export const actorOf = (access: AccessContext) =>
  access.kind === 'system' ? `system:${access.reason}` : access.username;

export const roundNotFound = (code: string) =>
  notFound('APPRAISAL_ROUND_NOT_FOUND', `鉴定批次“${String(code).slice(0, 40)}”不存在`);

/** The round, within the caller's scope (outside it, as if it did not exist). */
export async function roundFor(db: Db, access: AccessContext, code: string, lock = false): Promise<RoundRow> {
  const round = typeof code === 'string' ? await findRound(db, code, lock) : undefined;
  if (!round || !fondsInScope(access, round.fondsCode)) throw roundNotFound(code);
  return round;
}

export function mustBeOpen(round: RoundRow): void {
  if (round.status !== 'open') throw conflict('APPRAISAL_ROUND_CLOSED', `鉴定批次 ${round.code} 已结束`);
}

/** Whether the caller is a member of the round's group, and its lead. */
export async function membership(
  db: Db,
  access: AccessContext,
  round: RoundRow,
): Promise<{ member: boolean; lead: boolean }> {
  if (access.kind === 'system') return { member: true, lead: true };
  const members = await roundMembers(db, round.id);
  const me = members.find((member) => member.username === access.username);
  return { member: me !== undefined, lead: me?.isLead === true };
}
