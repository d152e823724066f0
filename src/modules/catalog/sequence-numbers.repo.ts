import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

// The numbers a 档号 sequence has used and the ones it lacks, for the four-property check's
// completeness test (a gap is an item missing from a sequence). Counts and numbers, no content.

export interface SequenceSelector {
  fondsCode: string;
  /** The sequence as archive_sequence keys it: the 档号 with {item} in place of the number. */
  sequenceKey: string;
  /** The 档号 text before and after the item number. */
  prefix: string;
  suffix: string;
  /** Columns that never change after filing and narrow the search (the 档号 itself is matched too). */
  categoryId?: number;
  year?: number;
  org?: string;
}

export interface SequenceNumbers {
  /** The counter filing takes the next number from (0 when the sequence row is missing). */
  lastNumber: number;
  count: number;
  maxNumber: number;
  /** Up to `limit` numbers in 1..max(last, max) that no item holds. */
  missing: number[];
  missingCount: number;
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** The numbers one sequence has used and the ones it lacks. */
export async function sequenceNumbers(
  db: Db,
  selector: SequenceSelector,
  limit = 50,
): Promise<SequenceNumbers> {
  const conditions = [
    sql`i.fonds_code = ${selector.fondsCode}`,
    sql`i.archive_code like ${`${likeEscape(selector.prefix)}%${likeEscape(selector.suffix)}`}`,
    sql`length(i.archive_code) > ${selector.prefix.length + selector.suffix.length}`,
  ];
  if (selector.categoryId !== undefined) conditions.push(sql`i.category_id = ${selector.categoryId}`);
  if (selector.year !== undefined) conditions.push(sql`i.year = ${selector.year}`);
  if (selector.org !== undefined) conditions.push(sql`i.org_code = ${selector.org}`);
  // The middle must be the number alone, or another sequence sharing a prefix would be counted.
  const middle = sql`substr(i.archive_code, ${selector.prefix.length + 1},
    length(i.archive_code) - ${selector.prefix.length + selector.suffix.length})`;
  conditions.push(sql`${middle} ~ '^[0-9]+$'`);
  const where = sql.join(conditions, sql` and `);
  const result = await sql<{
    last_number: number | null;
    count: number;
    max_number: number | null;
    missing: number[] | null;
    missing_count: number;
  }>`
    with used as (select i.item_number from archive_item i where ${where}),
    bounds as (
      select (select last_number from archive_sequence
                where fonds_code = ${selector.fondsCode} and sequence_key = ${selector.sequenceKey}) as last_number,
             (select count(*) from used) as count,
             (select max(item_number) from used) as max_number
    ),
    gaps as (
      select n from bounds, generate_series(1, greatest(coalesce(bounds.last_number, 0), coalesce(bounds.max_number, 0))) n
      where not exists (select 1 from used where used.item_number = n)
    )
    select b.last_number, b.count, b.max_number,
      (select array_agg(n order by n) from (select n from gaps order by n limit ${limit}) first_gaps) as missing,
      (select count(*) from gaps) as missing_count
    from bounds b`.execute(db);
  const row = result.rows[0];
  return {
    lastNumber: Number(row?.last_number ?? 0),
    count: Number(row?.count ?? 0),
    maxNumber: Number(row?.max_number ?? 0),
    missing: (row?.missing ?? []).map(Number),
    missingCount: Number(row?.missing_count ?? 0),
  };
}
