import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { discloseItems } from './item.disclose.js';
import { withholdUngranted } from './item.gate.js';
import { findItemsByIds } from './item.repo.js';
import { scopedQuery, withinScope } from './item.scope.js';

// The archive items filed for settlements (结算流水号, the optional extra field settlementSerial of the
// categories that file settlements), for fund supervision: only items in the caller's scope, sensitive
// ones without a grant withheld, the rest masked as every listing is. A partial expression index on
// (extra->>'settlementSerial') keeps the look-up an index scan.

export interface SettlementArchive {
  serial: string;
  archiveCode: string;
  fonds: string;
  category: string;
  categoryName: string;
  year: number;
  title: string;
  /** Sensitive and not granted to this caller: listed by 档号 only. */
  withheld: boolean;
}

const MAX_LINKED = 1000;

export async function archivesBySettlementSerials(
  db: Db,
  access: AccessContext,
  serials: readonly string[],
): Promise<SettlementArchive[]> {
  if (serials.length === 0) return [];
  const scope = scopedQuery(access);
  const rows = await db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .where(sql<boolean>`i.extra ? 'settlementSerial'`)
    .where(sql<boolean>`i.extra->>'settlementSerial' = any(${[...new Set(serials)]}::text[])`)
    .select(['i.id', sql<string>`i.extra->>'settlementSerial'`.as('serial')])
    .orderBy('i.id')
    .limit(MAX_LINKED)
    .execute();
  if (rows.length === 0) return [];
  const serialOf = new Map(rows.map((row) => [Number(row.id), row.serial]));
  const items = await findItemsByIds(db, [...serialOf.keys()], scope);
  const shown = await discloseItems(db, access, await withholdUngranted(db, items, access));
  return shown.map((item) => ({
    serial: serialOf.get(item.id) as string,
    archiveCode: item.archiveCode,
    fonds: item.fonds,
    category: item.category,
    categoryName: item.categoryName,
    year: item.year,
    title: item.title,
    withheld: item.withheld ?? false,
  }));
}
