import type { Db } from '../../db/database.js';
import { YidangError } from '../../shared/errors.js';
import { categoryBranchIds } from '../catalog/catalog.context.js';
import { listCategories } from '../catalog/catalog.queries.js';
import type { ScopeRow } from './access.repo.js';
import { regionPrefix } from './principal.js';

// An administrator grants only within their own scope (三员分立 that holds): each scope row given
// to an account must lie inside one of the granter's own rows, fonds by fonds, region by prefix and
// category by branch. The account's current scope must lie inside it too, or it is not theirs to change.

type CategoryRows = Awaited<ReturnType<typeof listCategories>>;

function rowWithin(row: ScopeRow, own: ScopeRow, categories: CategoryRows): boolean {
  if (own.fondsCode !== null && row.fondsCode !== own.fondsCode) return false;
  if (own.regionCode !== null) {
    if (row.regionCode === null) return false;
    if (!regionPrefix(row.regionCode).startsWith(regionPrefix(own.regionCode))) return false;
  }
  if (own.categoryCode !== null) {
    if (row.categoryCode === null) return false;
    const root = categories.find((category) => category.code === own.categoryCode);
    const target = categories.find((category) => category.code === row.categoryCode);
    if (!root || !target || !categoryBranchIds(categories, root.id).includes(target.id)) return false;
  }
  return true;
}

/** Whether every row lies inside one of the granter's rows (an empty grant always does). */
export function scopeWithin(rows: readonly ScopeRow[], own: readonly ScopeRow[], categories: CategoryRows) {
  return rows.every((row) => own.some((mine) => rowWithin(row, mine, categories)));
}

const describe = (row: ScopeRow) =>
  [row.fondsCode ?? '*', row.regionCode ?? '*', row.categoryCode ?? '*'].join('/').slice(0, 40);

/** Refuses (403) a grant beyond the granter's scope, or a change to an account outside it. */
export async function checkGrantWithin(
  db: Db,
  own: readonly ScopeRow[],
  grant: { next: readonly ScopeRow[]; current: readonly ScopeRow[]; username: string },
): Promise<void> {
  const categories = await listCategories(db);
  const mine = own.length === 0 ? '（无）' : own.map(describe).join('，');
  if (!scopeWithin(grant.current, own, categories))
    throw new YidangError(
      'ACCOUNT_OUTSIDE_SCOPE',
      'forbidden',
      `账户“${grant.username.slice(0, 64)}”现有的档案范围超出您本人的范围（${mine}），您不能变更它的角色或范围`,
    );
  const beyond = grant.next.filter((row) => !scopeWithin([row], own, categories));
  if (beyond.length > 0)
    throw new YidangError(
      'SCOPE_BEYOND_GRANTER',
      'forbidden',
      `只能在您本人的范围（${mine}）之内授权，超出的范围：${beyond.map(describe).join('，')}`,
    );
}
