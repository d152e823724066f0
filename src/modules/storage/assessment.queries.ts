import { type RawBuilder, sql } from 'kysely';

// What the assessment indicators (src/modules/kpi) read of storage: per item, its live attached
// files and whether any copy of them was found missing or corrupt by the last fixity audit. The SQL
// over item_file and storage_copy stays here (src/db/table-ownership.test.ts).

/**
 * For the items whose ids `itemIds` selects (a subquery of one id column), a derived table of
 * item_id, files (live attachments) and damaged (some copy of one of its files is not 'ok').
 * Items without files have no row.
 */
export function fileFactsOf(itemIds: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(select f.item_id, count(*)::int as files,
      bool_or(exists (select 1 from storage_copy c where c.digest = f.digest and c.status <> 'ok')) as damaged
    from item_file f
    where f.destroyed_register is null and f.item_id in ${itemIds}
    group by f.item_id)`;
}
