// test-engine: embedded (the migrator on an in-memory PGlite)
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_CATEGORIES } from '../modules/catalog/builtin-categories.js';
import { REGISTER_CATEGORY } from '../modules/disposition/destruction.file.js';
import { LEDGER_CATEGORY } from '../modules/ledgers/ledger-category.js';
import { type Database, type Db, openMemoryDatabase } from './database.js';
import { listMigrations, MIGRATION_TABLE, migrateDown, migrateToLatest } from './migrator.js';

// Migration logic on a fresh embedded database (never on the shared test template).

let database: Database;
beforeAll(async () => {
  database = await openMemoryDatabase();
});
afterAll(() => database?.close());

async function tables(db: Db): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' order by table_name`.execute(db);
  return result.rows.map((row) => row.name);
}

async function applied(db: Db): Promise<string[]> {
  const result = await sql<{
    name: string;
  }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  return result.rows.map((row) => row.name);
}

async function categoryCodes(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('category').select('code').orderBy('sort_order').execute();
  return rows.map((row) => row.code);
}

/**
 * The built-in scheme, with the ledger category (医保扶贫台账) after 医保扶贫 and the destruction
 * registers' (档案销毁清册) last.
 */
function shippedCodes(): string[] {
  const codes = BUILTIN_CATEGORIES.map((category) => category.code);
  codes.splice(codes.indexOf('FP') + 1, 0, LEDGER_CATEGORY.code);
  codes.push(REGISTER_CATEGORY);
  return codes;
}

const CATALOG_TABLES = [
  'archive_item',
  'archive_item_version',
  'archive_sequence',
  'category',
  'fonds',
  'retention_override',
];

describe('migrations', () => {
  it('are listed in name (timestamp) order', () => {
    const names = listMigrations();
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect([...names].sort()).toEqual(names);
    expect(names.slice(0, 2)).toEqual(['20261122T080000-catalog', '20261122T080100-builtin-categories']);
    for (const name of names) expect(name).toMatch(/^\d{8}T\d{6}-[a-z0-9-]+$/);
  });

  it('start from an empty schema', async () => {
    expect(await tables(database.db)).toEqual([]);
  });

  it('migrateToLatest applies every migration in order and records each', async () => {
    expect(await migrateToLatest(database.db)).toEqual(listMigrations());
    expect(await applied(database.db)).toEqual(listMigrations());
    const present = await tables(database.db);
    for (const table of [...CATALOG_TABLES, MIGRATION_TABLE, `${MIGRATION_TABLE}_lock`]) {
      expect(present, table).toContain(table);
    }
    expect(await categoryCodes(database.db)).toEqual(shippedCodes());
  });

  it('applies nothing when run again', async () => {
    expect(await migrateToLatest(database.db)).toEqual([]);
    expect(await applied(database.db)).toEqual(listMigrations());
    expect(await categoryCodes(database.db)).toHaveLength(BUILTIN_CATEGORIES.length + 2);
  });

  it('migrateDown rolls back one migration at a time, newest first', async () => {
    const names = listMigrations();
    // Roll back anything newer than the first two so the test stays valid as migrations are added.
    for (const name of [...names].reverse().slice(0, names.length - 2)) {
      expect(await migrateDown(database.db)).toEqual([name]);
    }
    expect(await migrateDown(database.db)).toEqual(['20261122T080100-builtin-categories']);
    expect(await applied(database.db)).toEqual(['20261122T080000-catalog']);
    expect(await categoryCodes(database.db)).toEqual([]);
    expect(await migrateDown(database.db)).toEqual(['20261122T080000-catalog']);
    expect(await applied(database.db)).toEqual([]);
    const left = await tables(database.db);
    for (const table of CATALOG_TABLES) expect(left, table).not.toContain(table);
    const gone = await sql<{
      regclass: string | null;
    }>`select to_regclass('category')::text as regclass`.execute(database.db);
    expect(gone.rows[0]?.regclass).toBeNull();
  });

  it('does nothing when there is nothing left to roll back', async () => {
    expect(await migrateDown(database.db)).toEqual([]);
  });

  it('migrateToLatest brings the schema and the built-in categories back', async () => {
    expect(await migrateToLatest(database.db)).toEqual(listMigrations());
    expect(await applied(database.db)).toEqual(listMigrations());
    const codes = await categoryCodes(database.db);
    expect(codes).toEqual(shippedCodes());
    expect(codes).toEqual(
      expect.arrayContaining(['CB', 'CBDW', 'CBGR', 'DY', 'JS', 'JSLX', 'HL', 'PZ', 'TJYJ']),
    );
    const child = await database.db
      .selectFrom('category as c')
      .innerJoin('category as p', 'p.id', 'c.parent_id')
      .select(['c.name as child', 'p.name as parent'])
      .where('c.code', '=', 'CBDW')
      .executeTakeFirst();
    expect(child).toEqual({ child: '单位参保登记', parent: '参保登记' });
  });
});
