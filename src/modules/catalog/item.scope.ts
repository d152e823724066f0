import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { AccessContext, ItemScope } from '../../shared/access-context.js';
import { idNumberIndex } from '../../shared/field-cipher.js';

// The catalog owns archive_item, so it owns the SQL that keeps a query inside a caller's scope. A
// repo function that reads items takes a ScopedQuery, which only scopedQuery(access) makes: there is
// no way to ask for items without saying whose they are (a system context says why it needs all).

declare const scoped: unique symbol;

/** A query's access, as the item repos require it; obtainable only from an AccessContext. */
export interface ScopedQuery {
  readonly [scoped]: true;
  readonly access: AccessContext;
}

export function scopedQuery(access: AccessContext): ScopedQuery {
  return { access } as ScopedQuery;
}

/**
 * An archive scope as SQL over a table with fonds_code, pooling_region and category_id columns (the
 * catalog's items, the search index): inside any of the scope's rows, or the user's own record by
 * the `ownRecord` condition the caller states for its table.
 */
export function scopeCondition(
  scope: ItemScope,
  alias: string,
  ownRecord: RawBuilder<unknown> | null,
): RawBuilder<SqlBool> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  const alternatives: RawBuilder<unknown>[] = scope.rows.map((row) => {
    const parts: RawBuilder<unknown>[] = [];
    if (row.fondsCode !== null) parts.push(sql`${column('fonds_code')} = ${row.fondsCode}`);
    if (row.regionPrefix !== null)
      parts.push(sql`${column('pooling_region')} like ${`${row.regionPrefix}%`}`);
    if (row.categoryIds !== null)
      parts.push(
        row.categoryIds.length > 0
          ? sql`${column('category_id')} in (${sql.join(row.categoryIds)})`
          : sql`false`,
      );
    return parts.length > 0 ? sql`(${sql.join(parts, sql` and `)})` : sql`true`;
  });
  if (ownRecord) alternatives.push(ownRecord);
  return alternatives.length > 0 ? sql<SqlBool>`(${sql.join(alternatives, sql` or `)})` : sql<SqlBool>`false`;
}

/**
 * The query's scope as a WHERE clause over `archive_item as <alias>`: an item outside it is simply
 * not found, exactly like one that does not exist. A system context reads everything.
 */
export function withinScope(query: ScopedQuery, alias = 'i'): RawBuilder<SqlBool> {
  const { access } = query;
  return access.kind === 'system' ? sql<SqlBool>`true` : withinItemScope(access.scope, alias);
}

/**
 * The query's scope over another table with the same three columns (the search index), with the
 * 参保人's own-record condition the caller states for its table; true for a system context.
 */
export function scopeOver(
  query: ScopedQuery,
  alias: string,
  ownRecord: RawBuilder<unknown> | null,
): RawBuilder<SqlBool> {
  const { access } = query;
  return access.kind === 'system' ? sql<SqlBool>`true` : scopeCondition(access.scope, alias, ownRecord);
}

/**
 * A principal's resolved scope over `archive_item as <alias>` (for SQL that joins items from another
 * table, such as the audit trail). The 参保人's own records are found through the blind index (the
 * column itself is ciphertext).
 */
export function withinItemScope(scope: ItemScope, alias = 'i'): RawBuilder<SqlBool> {
  const ownIndex = scope.idNumber === null ? null : idNumberIndex(scope.idNumber);
  return scopeCondition(
    scope,
    alias,
    ownIndex === null ? null : sql`${sql.ref(`${alias}.id_number_index`)} = ${ownIndex}`,
  );
}

type ItemFacts = {
  fondsCode: string;
  poolingRegion: string | null;
  categoryId: number;
  idNumber: string | null;
};

/** Whether an item with these facts lies inside the scope (for filing, where no row exists yet). */
export function inItemScope(scope: ItemScope, item: ItemFacts): boolean {
  if (scope.idNumber !== null && item.idNumber === scope.idNumber) return true;
  return scope.rows.some(
    (row) =>
      (row.fondsCode === null || row.fondsCode === item.fondsCode) &&
      (row.regionPrefix === null || (item.poolingRegion ?? '').startsWith(row.regionPrefix)) &&
      (row.categoryIds === null || row.categoryIds.includes(item.categoryId)),
  );
}

/** The same over a context: a system context's scope holds every item. */
export function inAccessScope(access: AccessContext, item: ItemFacts): boolean {
  return access.kind === 'system' || inItemScope(access.scope, item);
}
