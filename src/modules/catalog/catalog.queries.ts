// The catalog's fonds and categories as other modules read them; the SQL is catalog.repo.ts's, which
// only the catalog imports (src/db/table-ownership.test.ts, .dependency-cruiser.cjs).
export {
  type CategoryBrief,
  type CategoryRow,
  categoryBranchSql,
  categoryBriefsSql,
  listCategories,
  listFonds,
} from './catalog.repo.js';
export type { ExtraFieldSpec } from './catalog.tables.js';
export {
  type FondsScanSettings,
  fondsExists,
  fondsScanSettings,
  setFondsScanSettings,
} from './fonds.repo.js';
