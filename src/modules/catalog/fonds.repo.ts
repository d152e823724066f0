import type { Db } from '../../db/database.js';

// What other modules read and set on a fonds beyond the catalog's own fields: whether it exists, and
// the scan settings digitization applies to its pages. Others call these through catalog.queries.ts.

/** Whether a fonds with this code exists. */
export async function fondsExists(db: Db, fondsCode: string): Promise<boolean> {
  const row = await db.selectFrom('fonds').select('code').where('code', '=', fondsCode).executeTakeFirst();
  return row !== undefined;
}

/** The scan settings of a fonds (lowest resolution, and what a page below it gets). */
export interface FondsScanSettings {
  minDpi: number;
  lowDpi: 'reject' | 'flag';
}

export async function fondsScanSettings(db: Db, fondsCode: string): Promise<FondsScanSettings | undefined> {
  const row = await db
    .selectFrom('fonds')
    .select(['scan_min_dpi', 'scan_low_dpi'])
    .where('code', '=', fondsCode)
    .executeTakeFirst();
  return row && { minDpi: row.scan_min_dpi, lowDpi: row.scan_low_dpi };
}

/** Sets a fonds' scan settings; false when there is no such fonds. */
export async function setFondsScanSettings(
  db: Db,
  fondsCode: string,
  settings: FondsScanSettings,
): Promise<boolean> {
  const result = await db
    .updateTable('fonds')
    .set({ scan_min_dpi: settings.minDpi, scan_low_dpi: settings.lowDpi, updated_at: new Date() })
    .where('code', '=', fondsCode)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
