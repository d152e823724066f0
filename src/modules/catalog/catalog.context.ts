import type { Db } from '../../db/database.js';
import { type ArchiveCodePattern, parseArchiveCodePattern } from './archive-code.js';
import {
  type CategoryRow,
  type FondsRow,
  listCategories,
  listFonds,
  listRetentionOverrides,
} from './catalog.repo.js';
import type { RetentionRule } from './retention.js';

/** What filing needs to know about the scheme, read once per batch. */
export interface CatalogContext {
  fonds: Map<string, FondsRow & { pattern: ArchiveCodePattern }>;
  categories: Map<string, CategoryRow>;
  parentIds: Set<number>;
  retentionRules: RetentionRule[];
}

export async function loadCatalogContext(db: Db): Promise<CatalogContext> {
  const [fonds, categories, rules] = await Promise.all([
    listFonds(db),
    listCategories(db),
    listRetentionOverrides(db),
  ]);
  return {
    fonds: new Map(
      fonds.map((row) => [row.code, { ...row, pattern: parseArchiveCodePattern(row.archiveCodePattern) }]),
    ),
    categories: new Map(categories.map((row) => [row.code, row])),
    parentIds: new Set(categories.flatMap((row) => (row.parentId === null ? [] : [row.parentId]))),
    retentionRules: rules,
  };
}

/** A category and every category below it, for listing by a branch of the scheme. */
export function categoryBranchIds(
  categories: Iterable<Pick<CategoryRow, 'id' | 'parentId'>>,
  rootId: number,
): number[] {
  const all = [...categories];
  const ids = [rootId];
  for (let index = 0; index < ids.length; index++) {
    for (const row of all) if (row.parentId === ids[index]) ids.push(row.id);
  }
  return ids;
}
