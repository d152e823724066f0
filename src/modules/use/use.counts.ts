import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { type AccessContext, holds } from '../../shared/access-context.js';
import { scopeCondition } from '../catalog/item.scope.js';
import type { UseKind } from './use.tables.js';

// The register's counts per unit, for the assessment indicators (考核指标, src/modules/kpi): counts
// only, never who used what, within the caller's scope like every read of the register.

export interface UnitUseCount {
  fondsCode: string | null;
  /** The item's 统筹区 as the register took it in (null: the item has none; the caller may use its fonds'). */
  poolingRegion: string | null;
  kind: UseKind;
  /** 利用次数 */
  uses: number;
  /** 利用档案件数 (distinct 档号) */
  items: number;
}

/** Uses within [from, to) in the caller's scope, counted by fonds, 统筹区 and 利用方式. */
export async function useCountsByUnit(
  db: Db,
  access: AccessContext,
  range: { from: Date; to: Date; fondsCode?: string },
): Promise<UnitUseCount[]> {
  // Counts without names: the register's readers (use.stats) and the assessment's (kpi.read).
  if (access.kind === 'principal' && !holds(access, 'kpi.read')) access.authorize('use.stats');
  const visible = access.kind === 'system' ? sql`true` : scopeCondition(access.scope, 'u', null);
  const fonds = range.fondsCode === undefined ? sql`` : sql`and u.fonds_code = ${range.fondsCode}`;
  const { rows } = await sql<{
    fonds_code: string | null;
    pooling_region: string | null;
    kind: UseKind;
    uses: number;
    items: number;
  }>`select u.fonds_code, u.pooling_region, u.kind, count(*)::int as uses,
      count(distinct u.item_code)::int as items
    from use_register u
    where u.used_at >= ${range.from} and u.used_at < ${range.to} ${fonds} and ${visible}
    group by 1, 2, 3`.execute(db);
  return rows.map((row) => ({
    fondsCode: row.fonds_code,
    poolingRegion: row.pooling_region,
    kind: row.kind,
    uses: Number(row.uses),
    items: Number(row.items),
  }));
}
