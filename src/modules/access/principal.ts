import type { Db } from '../../db/database.js';
import { YidangError } from '../../shared/errors.js';
import { categoryBranchIds } from '../catalog/catalog.context.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { findUserById, rolesOf, type ScopeRow, scopesOf } from './access.repo.js';
import {
  ADMIN_ROLES,
  isRole,
  PERMISSIONS,
  type Permission,
  permissionsOf,
  ROLES,
  type Role,
} from './roles.js';

// Who is acting (the principal) and the one place that turns their roles and scope into what the
// queries filter on. Archive queries receive an ItemScope and put it in their WHERE clause.

export interface Principal {
  userId: number;
  username: string;
  displayName: string;
  roles: Role[];
  permissions: Set<Permission>;
  scope: ScopeRow[];
  /** The 参保人 role's own ID number. */
  idNumber: string | null;
  via: 'session' | 'token' | 'cli';
  tokenId?: string;
  /**
   * What the account's owner must do before a browser session may do anything else: change a
   * password someone else chose, then (administrative roles) enrol their own second factor.
   */
  pending: Pending;
}

export type Pending = 'password' | 'totp' | null;

/** The step an account still owes: its own password first, then its own second factor where its roles require one. */
export function pendingStep(
  user: { passwordMustChange: boolean; totpSecret: string | null; totpMustRenew: boolean },
  roles: readonly string[],
): Pending {
  if (user.passwordMustChange) return 'password';
  if (user.totpMustRenew) return 'totp';
  if (user.totpSecret === null && roles.some((role) => ADMIN_ROLES.includes(role as Role))) return 'totp';
  return null;
}

/** One allowed slice of the archives: every non-null part must match. */
export interface ItemScopeRow {
  fondsCode: string | null;
  /** A region code with its trailing 00 pairs removed: 320100 covers every 3201xx district. */
  regionPrefix: string | null;
  categoryIds: number[] | null;
}

/** What an archive query may return: items in any of the rows, or (参保人) with this ID number. */
export interface ItemScope {
  rows: ItemScopeRow[];
  idNumber: string | null;
  /** Whose approved requests open sensitive items; absent for internal callers, which read everything. */
  grantsFor?: number;
  /** Who the scope belongs to, for the log entry of a refused read. */
  actor?: string;
}

export async function loadPrincipal(
  db: Db,
  userId: number,
  via: Principal['via'],
  limitTo?: readonly string[],
): Promise<Principal | undefined> {
  const user = await findUserById(db, userId);
  if (!user || user.disabled) return undefined;
  const roles = ((await rolesOf(db, [userId])).get(userId) ?? []).filter(isRole);
  let permissions = permissionsOf(roles);
  if (limitTo) permissions = new Set([...permissions].filter((permission) => limitTo.includes(permission)));
  return {
    userId,
    username: user.username,
    displayName: user.displayName,
    roles,
    permissions,
    scope: (await scopesOf(db, [userId])).get(userId) ?? [],
    idNumber: user.idNumber,
    via,
    pending: pendingStep(user, roles),
  };
}

export function can(principal: Principal, permission: Permission): boolean {
  return principal.permissions.has(permission);
}

/** Refuses an action the principal's roles do not include (403); scope is checked in the query. */
export function authorize(principal: Principal, permission: Permission): void {
  if (!can(principal, permission))
    throw new YidangError(
      'FORBIDDEN',
      'forbidden',
      `无权${PERMISSIONS[permission]}（当前角色：${principal.roles.map((role) => ROLES[role]).join('、') || '无'}）`,
    );
}

export function regionPrefix(code: string): string {
  let prefix = code;
  for (let pair = 0; pair < 2 && prefix.endsWith('00') && prefix.length > 2; pair++)
    prefix = prefix.slice(0, -2);
  return prefix;
}

/** The principal's archive scope resolved for SQL: category codes become their branches' ids. */
export async function itemScopeOf(db: Db, principal: Principal): Promise<ItemScope> {
  if (principal.roles.includes('insured') && principal.roles.length === 1)
    return {
      rows: [],
      idNumber: principal.idNumber ?? '',
      grantsFor: principal.userId,
      actor: principal.username,
    };
  const categories = principal.scope.some((row) => row.categoryCode) ? await listCategories(db) : [];
  const rows = principal.scope.map((row): ItemScopeRow => {
    let categoryIds: number[] | null = null;
    if (row.categoryCode) {
      const root = categories.find((category) => category.code === row.categoryCode);
      categoryIds = root ? categoryBranchIds(categories, root.id) : [];
    }
    return {
      fondsCode: row.fondsCode,
      regionPrefix: row.regionCode ? regionPrefix(row.regionCode) : null,
      categoryIds,
    };
  });
  return {
    rows,
    idNumber: principal.roles.includes('insured') ? principal.idNumber : null,
    grantsFor: principal.userId,
    actor: principal.username,
  };
}

/** Whether an item with these facts lies inside the scope (for filing, where no row exists yet). */
export function inItemScope(
  scope: ItemScope,
  item: { fondsCode: string; poolingRegion: string | null; categoryId: number; idNumber: string | null },
): boolean {
  if (scope.idNumber !== null && item.idNumber === scope.idNumber) return true;
  return scope.rows.some(
    (row) =>
      (row.fondsCode === null || row.fondsCode === item.fondsCode) &&
      (row.regionPrefix === null || (item.poolingRegion ?? '').startsWith(row.regionPrefix)) &&
      (row.categoryIds === null || row.categoryIds.includes(item.categoryId)),
  );
}

export const roleLabel = (role: string) => (isRole(role) ? ROLES[role] : role);
