import { type RawBuilder, sql } from 'kysely';
import { type ScopedQuery, withinScope } from './item.scope.js';

// What the assessment indicators (考核指标, src/modules/kpi) read of the catalog: the items of a year
// with the facts they are counted by, and the units of items by 档号, as derived tables. The SQL over
// archive_item, category and fonds stays here (src/db/table-ownership.test.ts).

export interface AssessedSelection {
  /** 年度 of the items (the 档号's year). */
  year: number;
  fondsCode?: string;
  /** 统筹区 prefix over the item's region (its 统筹区, else its fonds' region). */
  regionPrefix?: string;
}

/**
 * The live (not destroyed) items of a year within the scope as a derived table: id, fonds_code,
 * region (统筹区, else the fonds' region), carrier, handled_at, created_at and meta_complete — whether
 * every field its category requires is present (题名, 责任者, 文件日期 always; the person's ID number
 * and name where the category concerns a person; the amount where it has one; each required extra
 * field; the 库房-柜-层-盒 of a paper or 纸电双套 item). One pass over archive_item.
 */
export function assessedItems(scope: ScopedQuery, selection: AssessedSelection): RawBuilder<unknown> {
  const region = sql`coalesce(i.pooling_region, f.region_code)`;
  return sql`(select i.id, i.fonds_code, ${region} as region, i.carrier, i.handled_at, i.created_at,
      (coalesce(i.title, '') <> '' and coalesce(i.responsible, '') <> '' and i.doc_date is not null
        and (not c.requires_person or (i.id_number is not null and coalesce(i.person_name, '') <> ''))
        and (not c.requires_amount or i.amount is not null)
        and (i.carrier = 'electronic' or i.paper_location is not null)
        and i.extra ?& c.required_keys) as meta_complete
    from archive_item i
    join fonds f on f.code = i.fonds_code
    join (select c.id, c.requires_person, c.requires_amount,
        array(select e ->> 'key' from jsonb_array_elements(c.extra_fields) e
          where (e ->> 'required')::boolean) as required_keys
      -- offset 0 keeps this a table of its own: pulled up, the array would be rebuilt for every item.
      from category c offset 0) c on c.id = i.category_id
    where i.year = ${selection.year} and i.destroyed_register is null
      ${selection.fondsCode === undefined ? sql`` : sql`and i.fonds_code = ${selection.fondsCode}`}
      ${selection.regionPrefix === undefined ? sql`` : sql`and ${region} like ${`${selection.regionPrefix}%`}`}
      and ${withinScope(scope)})`;
}

/**
 * The unit of every item within the scope: archive_code, fonds_code and region, as a derived table,
 * for counting events about items (subject item:<档号>) per unit; joined on archive_code, the planner
 * may look each event's item up through its unique index.
 */
export function itemUnits(scope: ScopedQuery): RawBuilder<unknown> {
  return sql`(select i.archive_code, i.fonds_code,
      coalesce(i.pooling_region, f.region_code) as region
    from archive_item i join fonds f on f.code = i.fonds_code where ${withinScope(scope)})`;
}
