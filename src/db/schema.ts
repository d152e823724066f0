import type { CatalogTables } from '../modules/catalog/catalog.tables.js';

/** The whole database as Kysely sees it: each module contributes the tables it owns. */
export interface DatabaseSchema extends CatalogTables {}
