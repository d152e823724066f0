import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

// The monthly totals of settlements: one grouped pass over fund_settlement within the regions, on its
// (region, settled_on) index. Months without a settlement are absent here; the service fills them.

const inRegions = (regions: readonly string[] | null) =>
  regions === null
    ? sql`true`
    : regions.length === 0
      ? sql`false`
      : sql`(${sql.join(
          regions.map((prefix) => sql`s.region like ${`${prefix}%`}`),
          sql` or `,
        )})`;

export interface SettlementMonthRow {
  period: string;
  settlements: number;
  fundPaid: string;
  totalCost: string;
}

export async function settlementMonths(
  db: Db,
  window: { regions: readonly string[] | null; from: string | null; to: string | null },
): Promise<SettlementMonthRow[]> {
  const from = window.from === null ? sql`true` : sql`s.settled_on >= ${`${window.from}-01`}::date`;
  const to =
    window.to === null ? sql`true` : sql`s.settled_on < (${`${window.to}-01`}::date + interval '1 month')`;
  const rows = await sql<{
    period: string;
    settlements: string | number;
    fund_paid: string;
    total_cost: string;
  }>`
    select to_char(date_trunc('month', s.settled_on), 'YYYY-MM') as period, count(*) as settlements,
      coalesce(sum(s.fund_paid), 0)::text as fund_paid, coalesce(sum(s.total_cost), 0)::text as total_cost
    from fund_settlement s
    where ${inRegions(window.regions)} and ${from} and ${to}
    group by 1 order by 1`.execute(db);
  return rows.rows.map((row) => ({
    period: row.period,
    settlements: Number(row.settlements),
    fundPaid: row.fund_paid,
    totalCost: row.total_cost,
  }));
}
