import { type RawBuilder, sql } from 'kysely';

// What the assessment indicators (src/modules/kpi) read of the four-property check (四性检测): per
// item, whether its latest check run failed any check. The SQL over check_result stays here.

/**
 * For the items whose ids `itemIds` selects (a subquery of one id column), a derived table of
 * item_id and failed (the item's latest check run has a failed check). Items never checked have no
 * row. One pass over their results, grouped by item and run.
 */
export function latestCheckFactsOf(itemIds: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(select distinct on (r.item_id) r.item_id, bool_or(r.status = 'fail') as failed
    from check_result r
    where r.item_id in ${itemIds}
    group by r.item_id, r.run_id
    order by r.item_id, r.run_id desc)`;
}
