import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Each module owns its tables: the module whose *.tables.ts declares a table is the only one whose
// code names it in a query. Others call the owner's exported functions and query fragments (catalog
// exports item look-ups, lockItem and the scope fragments). Checked on the source text, no database:
// Kysely calls (selectFrom, insertInto, updateTable, deleteFrom, joins, sql.table) and raw SQL
// (`from x`, `join x`, `update x`, `into x`) in every non-test file under src/modules.

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const MODULES = path.join(root, 'src/modules');

/**
 * Reaches not yet untied, file -> tables of other modules it still names. The test fails on any reach
 * not listed here and on a listed one that is gone, so this list only shrinks.
 */
const NOT_YET_UNTIED: Record<string, readonly string[]> = {};

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

const relative = (file: string) => path.relative(root, file).split(path.sep).join('/');
const moduleOf = (file: string) => relative(file).split('/')[2] as string;

/** table -> owning module, from every `export interface …Tables { name: Row; … }`. */
function tableOwners(): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const file of walk(MODULES).filter((name) => name.endsWith('.tables.ts'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const block of text.matchAll(/export interface \w+Tables\s*\{([^}]*)\}/g))
      for (const table of (block[1] ?? '').matchAll(/^\s*([a-z_]+)\s*:/gm))
        owners.set(table[1] as string, [...(owners.get(table[1] as string) ?? []), moduleOf(file)]);
  }
  return owners;
}

/** Comments out: prose may say "from fonds" without querying it. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|\s)\/\/[^\n]*/g, '$1');
}

/** Every table name a source text queries, by Kysely call or in raw SQL. */
function queriedNames(text: string): Set<string> {
  const code = withoutComments(text);
  const names = new Set<string>();
  const kysely =
    /\.(?:selectFrom|insertInto|updateTable|deleteFrom|mergeInto|innerJoin|leftJoin|rightJoin|fullJoin)\(\s*\[?\s*['"]([a-z_]+)/g;
  for (const match of code.matchAll(kysely)) names.add(match[1] as string);
  for (const match of code.matchAll(/sql\.table\(\s*['"]([a-z_]+)/g)) names.add(match[1] as string);
  for (const match of code.matchAll(/\b(?:from|join|update|into)\s+([a-z_]+)\b/gi))
    names.add((match[1] as string).toLowerCase());
  return names;
}

/** file -> tables of other modules it names, for every non-test source file under src/modules. */
function reaches(owners: Map<string, string[]>): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const file of walk(MODULES)) {
    if (file.endsWith('.test.ts') || file.endsWith('.tables.ts')) continue;
    const own = moduleOf(file);
    const foreign = [...queriedNames(fs.readFileSync(file, 'utf8'))]
      .filter((name) => owners.has(name) && !owners.get(name)?.includes(own))
      .sort();
    if (foreign.length > 0) found[relative(file)] = foreign;
  }
  return found;
}

describe('each module owns its tables', () => {
  it('finds the queries it is meant to find', () => {
    const sample = `
      // rows copied from fonds are not a query
      db.selectFrom('archive_item as i').innerJoin('item_file as f', 'f.item_id', 'i.id');
      trx.insertInto('scan_page'); trx.updateTable("fonds"); trx.deleteFrom(['job']);
      sql\`select 1 from storage_blob b join user_scope s on true where exists (select 1 from category)\`;
      sql\`update app_user set x = 1\`; sql\`insert into check_run values (1)\`; sql.table('integrity_event');`;
    expect([...queriedNames(sample)].sort()).toEqual(
      [
        'app_user',
        'archive_item',
        'category',
        'check_run',
        'fonds',
        'integrity_event',
        'item_file',
        'job',
        'scan_page',
        'storage_blob',
        'user_scope',
      ].sort(),
    );
  });

  it('has one owner for every table', () => {
    const owners = tableOwners();
    expect(owners.get('archive_item')).toEqual(['catalog']);
    expect(owners.size).toBeGreaterThan(40);
    expect([...owners].filter(([, modules]) => modules.length > 1)).toEqual([]);
  });

  it('no module queries a table another module owns', () => {
    expect(reaches(tableOwners())).toEqual(NOT_YET_UNTIED);
  });
});
