import type { AccessContext } from '../../shared/access-context.js';

/** Whether a fonds lies within the context's scope at all (a row naming it, or one naming no fonds). */
export function inScopeFonds(access: AccessContext, fondsCode: string): boolean {
  if (access.kind === 'system') return true;
  return access.scope.rows.some((row) => row.fondsCode === null || row.fondsCode === fondsCode);
}
