import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Regions } from './ledger.repo.js';

// The monthly enrollment of the roster, for the forecasts: per month, the enrollments in force at its
// end (started by then, not ended by then), among people registered in the regions. One grouped pass:
// each enrollment adds one in the month it starts and takes one away in the month it ends.

const inRegions = (regions: Regions) =>
  regions === null
    ? sql`true`
    : regions.length === 0
      ? sql`false`
      : sql`(${sql.join(
          regions.map((prefix) => sql`p.region_code like ${`${prefix}%`}`),
          sql` or `,
        )})`;

export interface EnrollmentMonth {
  period: string;
  /** Enrollments in force at the end of the month. */
  enrolled: number;
}

const next = (period: string) => {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7));
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
};

/** From the month of the first enrollment through `through` (YYYY-MM); empty when nobody is enrolled. */
export async function rosterEnrollmentSeries(
  db: Db,
  window: { regions: Regions; through: string },
): Promise<EnrollmentMonth[]> {
  const rows = await sql<{ period: string; delta: string | number }>`
    select period, sum(delta) as delta from (
      select to_char(e.started_on, 'YYYY-MM') as period, count(*) as delta
      from enrollment e join insured_person p on p.id = e.person_id
      where ${inRegions(window.regions)} group by 1
      union all
      select to_char(e.ended_on, 'YYYY-MM') as period, -count(*) as delta
      from enrollment e join insured_person p on p.id = e.person_id
      where e.ended_on is not null and ${inRegions(window.regions)} group by 1
    ) changes group by period order by period`.execute(db);
  const first = rows.rows[0]?.period;
  if (!first || first > window.through) return [];
  const change = new Map(rows.rows.map((row) => [row.period, Number(row.delta)]));
  const months: EnrollmentMonth[] = [];
  let enrolled = 0;
  for (let month = first; month <= window.through; month = next(month)) {
    enrolled += change.get(month) ?? 0;
    months.push({ period: month, enrolled });
  }
  return months;
}
