import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { FONDS } from '../../test/helpers/fixtures.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { createBatch } from '../modules/scan/qc.service.js';
import { DUMP_TABLES, dumpTable, existingTables, loadRows, NOT_DUMPED, resetSerials } from './dump.js';

// What a backup carries: every table of the schema, unless it is left out on purpose, and rows of
// identity-keyed tables loaded back with their own ids and the numbering continuing after them.

let database: TestDatabase;
const db = () => database.db;

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
});
afterAll(() => database?.close());

describe('the dump', () => {
  it('covers every table, but for the few left out on purpose', async () => {
    const dumped = DUMP_TABLES.map((table) => table.name);
    expect(new Set(dumped).size).toBe(dumped.length);
    expect(
      (await existingTables(db())).filter((name) => !dumped.includes(name) && !NOT_DUMPED.includes(name)),
    ).toEqual([]);
  });

  it('loads identity-keyed rows back with their ids, and new rows number on after them', async () => {
    const first = await createBatch(db(), { fondsCode: FONDS.code, name: '一批' }, 'test', SYSTEM);
    const second = await createBatch(db(), { fondsCode: FONDS.code, name: '二批' }, 'test', SYSTEM);
    const table = DUMP_TABLES.find((entry) => entry.name === 'scan_batch');
    const lines: string[] = [];
    for await (const batch of dumpTable(db(), table as (typeof DUMP_TABLES)[number])) lines.push(...batch);
    expect(lines).toHaveLength(2);
    await db().deleteFrom('scan_batch').execute();
    await loadRows(db(), 'scan_batch', lines);
    await resetSerials(db());
    const restored = await db().selectFrom('scan_batch').select(['id', 'name']).orderBy('id').execute();
    expect(restored.map((row) => [Number(row.id), row.name])).toEqual([
      [first.id, '一批'],
      [second.id, '二批'],
    ]);
    const third = await createBatch(db(), { fondsCode: FONDS.code, name: '三批' }, 'test', SYSTEM);
    expect(third.id).toBeGreaterThan(second.id);
  });
});
