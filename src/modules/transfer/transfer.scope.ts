import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { loadCatalogContext } from '../catalog/catalog.context.js';

// Which fonds a caller's scope reaches, for what belongs to a fonds as a whole (a transfer batch, a
// received bag): a row's own fonds, or — a row bound to a region only — the fonds of that region. Only
// a row bound to neither (or a system context) reaches every fonds.

/** The fonds reached: null for every fonds, else their codes. */
export async function fondsReached(db: Db, access: AccessContext): Promise<string[] | null> {
  if (access.kind === 'system') return null;
  const rows = access.scope.rows;
  if (rows.some((row) => row.fondsCode === null && row.regionPrefix === null)) return null;
  const codes = new Set(rows.flatMap((row) => (row.fondsCode === null ? [] : [row.fondsCode])));
  const regions = rows.flatMap((row) =>
    row.fondsCode === null && row.regionPrefix !== null ? [row.regionPrefix] : [],
  );
  if (regions.length > 0)
    for (const fonds of (await loadCatalogContext(db)).fonds.values())
      if (regions.some((prefix) => fonds.regionCode.startsWith(prefix))) codes.add(fonds.code);
  return [...codes];
}

export async function reachesFonds(db: Db, access: AccessContext, fondsCode: string): Promise<boolean> {
  const reached = await fondsReached(db, access);
  return reached === null || reached.includes(fondsCode);
}
