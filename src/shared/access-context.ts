import type { RawBuilder, SqlBool } from 'kysely';
import type { Db } from '../db/db.js';

// Who a service acts for, required by every service that reads or changes archive content, files,
// grants or the audit trail: a signed-in principal (roles, resolved scope, grants in force, the
// disclosure asked for) or a system context that names why it may see everything. Nothing means
// "all": an internal caller has to say which one it is. The types live in the kernel so catalog and
// storage (below access) can require them; src/modules/access builds the principal's context.

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
  /** Whose approved requests open sensitive items; absent when no grant is asked (a declassifier's look). */
  grantsFor?: number;
  /** Who the scope belongs to, for the log entry of a refused read. */
  actor?: string;
}

/** An approved request in force for an item (the grant it is read under). */
export interface GrantInForce {
  id: number;
  purpose: string;
  expiresAt: Date;
}

/** The grant look-ups over one principal, supplied by the access module that owns the grants. */
export interface GrantLookup {
  /** The longest-lasting grant in force per item, for these items. */
  inForce(db: Db, itemIds: readonly number[], now: Date): Promise<Map<number, GrantInForce>>;
  /** Every item the principal holds a grant in force for. */
  itemIds(db: Db, now: Date): Promise<number[]>;
  /**
   * The same as inForce for the item `itemId` (an SQL expression), as json { id, purpose, expiresAt }
   * or null: a statement that reads items reads their grants with them (absent: looked up apart).
   */
  inForceSql?(itemId: RawBuilder<unknown>, now: Date): RawBuilder<GrantInForceJson | null>;
}

/** A grant in force as inForceSql gives it (expiresAt as text). */
export interface GrantInForceJson {
  id: number;
  purpose: string;
  expiresAt: string;
}

/** What the principal asked to see: masked by default, in full only with a purpose and item.unmask. */
export interface Disclosure {
  unmask: boolean;
  purpose?: string;
}

export interface PrincipalContext {
  readonly kind: 'principal';
  readonly userId: number;
  readonly username: string;
  readonly roles: readonly string[];
  readonly permissions: ReadonlySet<string>;
  /** The principal's scope resolved for SQL (category codes as branch ids, regions as prefixes). */
  readonly scope: ItemScope;
  readonly grants: GrantLookup;
  readonly disclosure: Disclosure;
  /**
   * The events of the log this principal may read, as a condition over the event row `e`; null for
   * the whole log (the 安全审计员, audit.read). The log itself knows nothing of scopes.
   */
  readonly events: RawBuilder<SqlBool> | null;
  /** Refuses (403, in the access module's words) a permission the principal lacks. */
  readonly authorize: (permission: string) => void;
}

/**
 * Why a caller may see every archive, unmasked. A closed list: adding a reason is a reviewed change.
 * - verify, backup, restore: whole-archive proofs and copies;
 * - indexer: the search index follows the event log over every item;
 * - demo: the demonstration loader files synthetic archives;
 * - jobs: background work queued by a principal's action (checks, OCR, fixity) on rows it names;
 * - setup: the command line's own administration run by the operator on the machine (no account);
 * - fixture: test fixtures and benchmarks that set up and inspect rows directly.
 */
export const SYSTEM_REASONS = [
  'verify',
  'backup',
  'restore',
  'indexer',
  'demo',
  'jobs',
  'setup',
  'fixture',
] as const;
export type SystemReason = (typeof SYSTEM_REASONS)[number];

export interface SystemContext {
  readonly kind: 'system';
  readonly reason: SystemReason;
  /** Recorded as the author of what the system does. */
  readonly actor: string;
}

export type AccessContext = PrincipalContext | SystemContext;

/** The context of a system caller: every archive, unmasked, and the reason is part of the value. */
export function systemContext(reason: SystemReason, actor = 'system'): SystemContext {
  return { kind: 'system', reason, actor };
}

/** The scope to filter on, or null for a system context (which reads everything). */
export function scopeIn(access: AccessContext): ItemScope | null {
  return access.kind === 'system' ? null : access.scope;
}

/** Who is acting, for the log. */
export function actorIn(access: AccessContext): string {
  return access.kind === 'system' ? access.actor : access.username;
}

/** The same principal asking for a different disclosure (unmasked with a purpose, or masked). */
export function withDisclosure(access: AccessContext, disclosure: Partial<Disclosure>): AccessContext {
  if (access.kind === 'system') return access;
  return { ...access, disclosure: { unmask: disclosure.unmask ?? false, purpose: disclosure.purpose } };
}

/**
 * The same principal without the grant gate: the 安全保密员 decides on an item's classification
 * without reading it, so an item in scope needs no approved request for that decision.
 */
export function withoutGrantGate(access: AccessContext): AccessContext {
  if (access.kind === 'system') return access;
  const { grantsFor: _reader, ...scope } = access.scope;
  return { ...access, scope };
}

/** The condition on the events this caller may read, or undefined for the whole log. */
export function eventsIn(access: AccessContext): RawBuilder<SqlBool> | undefined {
  return access.kind === 'system' ? undefined : (access.events ?? undefined);
}

/** Whether the principal holds a permission (a system context holds every one). */
export function holds(access: AccessContext, permission: string): boolean {
  return access.kind === 'system' || access.permissions.has(permission);
}
