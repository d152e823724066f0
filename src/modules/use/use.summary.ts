import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { USE_KIND_NAMES, USE_KINDS } from './use.names.js';
import { useStats } from './use.stats.js';

// The 利用 card of the 首页: this month's and this year's uses (Beijing time) in the caller's scope.

export interface UseSummary {
  month: string;
  monthUses: number;
  yearUses: number;
  byKind: Array<{ kind: string; kindName: string; uses: number }>;
  effectsRecorded: number;
}

export async function useSummary(db: Db, access: AccessContext, now = new Date()): Promise<UseSummary> {
  const month = (beijingIso(now) as string).slice(0, 7);
  const year = month.slice(0, 4);
  const stats = await useStats(db, access, {
    period: 'month',
    by: 'kind',
    from: `${year}-01`,
    to: `${year}-12`,
  });
  const byKind = USE_KINDS.map((kind) => ({
    kind,
    kindName: USE_KIND_NAMES[kind],
    uses: stats.rows.filter((row) => row.key === kind).reduce((sum, row) => sum + row.uses, 0),
  }));
  return {
    month,
    monthUses: stats.rows.filter((row) => row.period === month).reduce((sum, row) => sum + row.uses, 0),
    yearUses: stats.total.uses,
    byKind,
    effectsRecorded: stats.total.effects,
  };
}
