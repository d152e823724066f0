import type { Db } from '../../db/database.js';
import { type AccessContext, scopeIn } from '../../shared/access-context.js';
import { regionPrefix } from '../access/principal.js';
import { listFonds } from '../catalog/fonds.service.js';

// Which settlements (and clues, anomalies, groups, forecasts over them) a caller reaches: the region
// prefixes of their scope rows. Settlements are not archives filed into a fonds, so a row for one fonds
// with any region reaches that fonds' own 统筹区, and only a row for every fonds and every region
// reaches every region (the same rule as the ledgers' roster). A row outside the regions is "not found".

/** Region-code prefixes ('3201', '320115', …) the caller reaches; null: every region. */
export type FundRegions = string[] | null;

export async function fundRegions(db: Db, access: AccessContext): Promise<FundRegions> {
  const scope = scopeIn(access);
  if (!scope) return null;
  const needsFonds = scope.rows.some((row) => row.regionPrefix === null && row.fondsCode !== null);
  const fondsRegion = needsFonds
    ? new Map((await listFonds(db)).map((row) => [row.code, row.regionCode]))
    : new Map<string, string>();
  const prefixes: string[] = [];
  for (const row of scope.rows) {
    if (row.regionPrefix !== null) prefixes.push(row.regionPrefix);
    else if (row.fondsCode === null) return null;
    else {
      const region = fondsRegion.get(row.fondsCode);
      if (region) prefixes.push(regionPrefix(region));
    }
  }
  return [...new Set(prefixes)];
}

/** Whether a 6-digit region lies inside the regions. */
export const regionReached = (regions: FundRegions, region: string) =>
  regions === null || regions.some((prefix) => region.startsWith(prefix));
