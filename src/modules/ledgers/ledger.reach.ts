import type { Db } from '../../db/database.js';
import { type AccessContext, scopeIn } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { type ItemScopeRow, regionPrefix } from '../access/principal.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { listFonds } from '../catalog/fonds.service.js';
import type { Regions } from './ledger.repo.js';
import { LEDGER_CATEGORY } from './ledger-category.js';

// What a ledger may cover for its maker: the fonds it is filed into must be one their scope reaches
// with the ledger category (a fonds outside it answers exactly like one that does not exist), and
// the people listed are those registered in the regions of the scope rows that reach it. People are
// not archives: a row for one fonds with any region (J013/*/*) reaches that fonds' own 统筹区, never
// the whole roster; only a row for every fonds and every region reaches everyone.

export interface LedgerReach {
  fonds: { code: string; name: string };
  /** Region-code prefixes of the people listed; null for every region. */
  regions: Regions;
  /** The 统筹区 the filed ledger carries, so that it lies inside its maker's scope. */
  poolingRegion: string | null;
}

const unknownFonds = (code: string) => invalid('FONDS_UNKNOWN', `全宗“${code.slice(0, 20)}”不存在`);

/** A row's people: its region, else its fonds' own region, else (every fonds, every region) everyone. */
function peopleRegion(row: ItemScopeRow, fondsRegions: ReadonlyMap<string, string>): ItemScopeRow {
  if (row.regionPrefix !== null || row.fondsCode === null) return row;
  const region = fondsRegions.get(row.fondsCode);
  // A fonds that does not exist reaches no one: an impossible prefix.
  return { ...row, regionPrefix: region ? regionPrefix(region) : '-' };
}

const regionsOf = (fonds: ReadonlyArray<{ code: string; regionCode: string }>) =>
  new Map(fonds.map((row) => [row.code, row.regionCode]));

/** The scope rows that let this caller file a ledger into the fonds. */
function rowsReaching(
  rows: readonly ItemScopeRow[],
  fondsCode: string,
  ledgerCategoryId: number | undefined,
) {
  return rows.filter(
    (row) =>
      (row.fondsCode === null || row.fondsCode === fondsCode) &&
      (row.categoryIds === null ||
        (ledgerCategoryId !== undefined && row.categoryIds.includes(ledgerCategoryId))),
  );
}

function chosenRegion(
  order: { region?: string },
  rows: readonly ItemScopeRow[] | null,
): { regions: Regions; poolingRegion: string | null } {
  const prefixes = rows === null ? [null] : [...new Set(rows.map((row) => row.regionPrefix))];
  const everywhere = prefixes.includes(null);
  if (order.region !== undefined) {
    const region = order.region.trim();
    if (!/^\d{6}$/.test(region)) throw invalid('LEDGER_REGION', '地区应为 6 位行政区划代码，如 320115');
    if (!everywhere && !prefixes.some((prefix) => prefix !== null && region.startsWith(prefix)))
      throw invalid('LEDGER_REGION', `地区 ${region} 不在您的范围内`);
    return { regions: [regionPrefix(region)], poolingRegion: region };
  }
  if (everywhere) return { regions: null, poolingRegion: null };
  const [only, ...others] = prefixes as string[];
  if (only === undefined) return { regions: [], poolingRegion: null };
  if (others.length > 0)
    throw invalid(
      'LEDGER_REGION_REQUIRED',
      `您的范围含多个地区（${prefixes.map((prefix) => (prefix as string).padEnd(6, '0')).join('、')}），请指明台账所属地区（region）`,
    );
  return { regions: [only], poolingRegion: only.padEnd(6, '0') };
}

export async function ledgerReach(
  db: Db,
  order: { fonds?: string; region?: string },
  access: AccessContext,
): Promise<LedgerReach> {
  const scope = scopeIn(access);
  const ledgerCategoryId = scope?.rows.some((row) => row.categoryIds !== null)
    ? (await listCategories(db)).find((category) => category.code === LEDGER_CATEGORY.code)?.id
    : undefined;
  // Read once: the fonds asked for (or the only one reachable) and every fonds' own region.
  const allFonds = await listFonds(db);
  const regionsOfFonds = regionsOf(allFonds);
  const reaching = (code: string) =>
    scope
      ? rowsReaching(scope.rows, code, ledgerCategoryId).map((row) => peopleRegion(row, regionsOfFonds))
      : null;
  let fonds: { code: string; name: string } | undefined;
  if (order.fonds !== undefined) {
    fonds = allFonds.find((row) => row.code === order.fonds);
    if (!fonds || reaching(fonds.code)?.length === 0) throw unknownFonds(order.fonds);
  } else {
    const all = allFonds.filter((row) => reaching(row.code)?.length !== 0);
    if (all.length !== 1)
      throw invalid(
        'FONDS_REQUIRED',
        all.length === 0
          ? '没有可以归入台账的全宗，请先建立全宗（或请安全保密员授予全宗范围）'
          : `有 ${all.length} 个全宗，请指明台账归入哪个全宗（--fonds）`,
      );
    fonds = all[0] as { code: string; name: string };
  }
  return { fonds: { code: fonds.code, name: fonds.name }, ...chosenRegion(order, reaching(fonds.code)) };
}

/** The roster regions a scope reaches, for work not filed into a fonds (reconciliation); null: all. */
export async function rosterRegions(db: Db, access: AccessContext): Promise<Regions> {
  const scope = scopeIn(access);
  if (!scope) return null;
  const regionsOfFonds = regionsOf(await listFonds(db));
  const prefixes = scope.rows.map((row) => peopleRegion(row, regionsOfFonds).regionPrefix);
  return prefixes.includes(null) ? null : [...new Set(prefixes as string[])];
}
