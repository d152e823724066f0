import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { regionCondition, type SettlementWindow } from './anomaly.repo.js';

// The per-person figures the 高风险群体 clustering rests on, in one aggregate pass over the
// settlements of the period and regions read, ordered by the blind index so that the clustering
// sees the same rows in the same order every time. No diagnosis is read.

export interface PersonFigures {
  key: string;
  sealed: string;
  visits: number;
  stays: number;
  cost: number;
  fund: number;
  institutions: number;
}

export async function personFigures(db: Db, window: SettlementWindow): Promise<PersonFigures[]> {
  const regions = regionCondition(sql.ref('s.region'), window.regions);
  const { rows } = await sql<PersonFigures>`select s.person_key as key, p.id_number_sealed as sealed,
      count(*)::int as visits, (count(*) filter (where s.visit_type = '住院'))::int as stays,
      sum(s.total_cost)::float8 as cost, sum(s.fund_paid)::float8 as fund,
      count(distinct s.institution_code)::int as institutions
    from fund_settlement s join fund_person p on p.person_key = s.person_key
    where s.settled_on between ${window.from}::date and ${window.to}::date and ${regions}
    group by s.person_key, p.id_number_sealed
    order by s.person_key`.execute(db);
  return rows.map((row) => ({
    key: row.key.trim(),
    sealed: row.sealed,
    visits: Number(row.visits),
    stays: Number(row.stays),
    cost: Number(row.cost),
    fund: Number(row.fund),
    institutions: Number(row.institutions),
  }));
}
