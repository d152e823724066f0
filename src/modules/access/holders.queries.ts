import type { Db } from '../../db/database.js';
import type { ItemScope } from '../../shared/access-context.js';
import { accountsHolding, type Holder } from './holders.repo.js';
import { can, itemScopeOf, loadPrincipal } from './principal.js';
import type { Permission } from './roles.js';

// Who holds a permission (the archivists a loan's overdue notice goes to); the SQL is holders.repo.ts.
export { accountsHolding, type Holder } from './holders.repo.js';

/** A holder with the archive scope resolved for SQL exactly as their own requests get it. */
export interface ScopedHolder extends Holder {
  scope: ItemScope;
}

/**
 * The enabled holders of a permission, each with its resolved scope, so a notice about archives can
 * go only to those whose scope covers them (catalog's itemCodeWithin / withinItemScope take it).
 */
export async function scopedHolders(db: Db, permission: Permission): Promise<ScopedHolder[]> {
  const holders: ScopedHolder[] = [];
  for (const holder of await accountsHolding(db, permission)) {
    const principal = await loadPrincipal(db, holder.userId, 'cli');
    if (!principal || !can(principal, permission)) continue;
    holders.push({ ...holder, scope: await itemScopeOf(db, principal) });
  }
  return holders;
}
