import type { Db } from '../../db/database.js';
import type {
  Disclosure,
  GrantLookup,
  ItemScope,
  ItemScopeRow,
  PrincipalContext,
} from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { categoryBranchIds } from '../catalog/catalog.context.js';
import { listCategories } from '../catalog/catalog.queries.js';
import type { ScopeRow } from './access.repo.js';
import { eventVisibleTo } from './event-visibility.js';
import { activeGrants, grantedItemIds, grantInForceSql } from './grant.repo.js';
import { findPrincipalUser, findPrincipalUserByName, type PrincipalUserRow } from './principal.repo.js';
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
  /**
   * The scope resolved for SQL, read in the same statement as the account (a request needs no
   * second look-up); absent on a principal built otherwise, whose scope is resolved when asked.
   */
  itemScope?: ItemScope;
}

export type Pending = 'password' | 'totp' | null;

/** The step an account still owes: its own password first, then its own second factor where its roles require one. */
export function pendingStep(
  user: { passwordMustChange: boolean; totpEnrolled: boolean; totpMustRenew: boolean },
  roles: readonly string[],
): Pending {
  if (user.passwordMustChange) return 'password';
  if (user.totpMustRenew) return 'totp';
  if (!user.totpEnrolled && roles.some((role) => ADMIN_ROLES.includes(role as Role))) return 'totp';
  return null;
}

export type { ItemScope, ItemScopeRow } from '../../shared/access-context.js';
export { inItemScope } from '../catalog/item.scope.js';

export async function loadPrincipal(
  db: Db,
  userId: number,
  via: Principal['via'],
  limitTo?: readonly string[],
): Promise<Principal | undefined> {
  const user = await findPrincipalUser(db, userId);
  return user && principalOf(user, via, limitTo);
}

/**
 * The principal of an account read with its roles and resolved scope (principal.repo.ts), or
 * undefined when it is disabled. A token's principal holds only the permissions it was limited to.
 */
export function principalOf(
  user: PrincipalUserRow,
  via: Principal['via'],
  limitTo?: readonly string[],
): Principal | undefined {
  if (user.disabled) return undefined;
  const roles = user.roles.filter(isRole);
  let permissions = permissionsOf(roles);
  if (limitTo) permissions = new Set([...permissions].filter((permission) => limitTo.includes(permission)));
  const principal: Principal = {
    userId: user.id,
    username: user.username,
    displayName: user.displayName,
    roles,
    permissions,
    scope: user.scope.map(({ fondsCode, regionCode, categoryCode }) => ({
      fondsCode,
      regionCode,
      categoryCode,
    })),
    idNumber: user.idNumber,
    via,
    pending: pendingStep(user, roles),
  };
  const branches = new Map(user.scope.map((row) => [row.categoryCode, row.categoryIds ?? []]));
  return { ...principal, itemScope: scopeFrom(principal, (code) => branches.get(code) ?? []) };
}

/**
 * An account named by id or user name as another module sees it (a loan's borrower): its principal
 * while enabled, and whether it is disabled; undefined when there is no such account.
 */
export async function accountOf(
  db: Db,
  who: { id: number } | { username: string },
): Promise<
  { id: number; username: string; displayName: string; disabled: boolean; principal?: Principal } | undefined
> {
  const user =
    'id' in who ? await findPrincipalUser(db, who.id) : await findPrincipalUserByName(db, who.username);
  if (!user) return undefined;
  const principal = principalOf(user, 'cli');
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    disabled: user.disabled,
    ...(principal ? { principal } : {}),
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
  if (principal.itemScope) return principal.itemScope;
  const categories = principal.scope.some((row) => row.categoryCode) ? await listCategories(db) : [];
  return scopeFrom(principal, (code) => {
    const root = categories.find((category) => category.code === code);
    return root ? categoryBranchIds(categories, root.id) : [];
  });
}

/** The scope of a principal, given the ids of a category's branch (none when the code is unknown). */
function scopeFrom(principal: Principal, branchOf: (categoryCode: string) => number[]): ItemScope {
  if (principal.roles.includes('insured') && principal.roles.length === 1)
    return {
      rows: [],
      idNumber: principal.idNumber ?? '',
      grantsFor: principal.userId,
      actor: principal.username,
    };
  const rows = principal.scope.map(
    (row): ItemScopeRow => ({
      fondsCode: row.fondsCode,
      regionPrefix: row.regionCode ? regionPrefix(row.regionCode) : null,
      categoryIds: row.categoryCode ? branchOf(row.categoryCode) : null,
    }),
  );
  return {
    rows,
    idNumber: principal.roles.includes('insured') ? principal.idNumber : null,
    grantsFor: principal.userId,
    actor: principal.username,
  };
}

export const roleLabel = (role: string) => (isRole(role) ? ROLES[role] : role);

/** The grant look-ups of one user, handed to the layers below through the access context. */
export function grantLookupOf(userId: number): GrantLookup {
  return {
    inForce: (db, itemIds, now) => activeGrants(db, userId, itemIds, now),
    itemIds: (db, now) => grantedItemIds(db, userId, now),
    inForceSql: (itemId, now) => grantInForceSql(userId, itemId, now),
  };
}

/**
 * The access context of a signed-in principal: the roles, the scope resolved for SQL, the grants in
 * force and what they asked to see (masked unless unmasked with a purpose). Every service that
 * touches archive content takes one; nothing else stands for "everything" but a system context.
 */
export async function accessContextOf(
  db: Db,
  principal: Principal,
  disclosure: Partial<Disclosure> = {},
): Promise<PrincipalContext> {
  return principalContext(principal, await itemScopeOf(db, principal), disclosure);
}

/** The same from a scope already resolved (once per request). */
export function principalContext(
  principal: Principal,
  scope: ItemScope,
  disclosure: Partial<Disclosure> = {},
): PrincipalContext {
  return {
    kind: 'principal',
    userId: principal.userId,
    username: principal.username,
    roles: principal.roles,
    permissions: principal.permissions,
    scope,
    grants: grantLookupOf(principal.userId),
    disclosure: { unmask: disclosure.unmask ?? false, purpose: disclosure.purpose },
    // The 安全审计员 watches every account and the system; anyone else reads what their scope covers.
    events: can(principal, 'audit.read') ? null : eventVisibleTo({ username: principal.username, scope }),
    authorize: (permission) => authorize(principal, permission as Permission),
  };
}
