import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM, scopedAccess } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { ArchiveCountsCache } from './stats.cache.js';

// The dashboard's counts are kept a short while per scope; an old answer is served at once while a
// new count runs, and the next caller gets the new one.

let database: TestDatabase;
const everything = scopedAccess({
  rows: [{ fondsCode: null, regionPrefix: null, categoryIds: null }],
  idNumber: null,
});
const elsewhere = scopedAccess({
  rows: [{ fondsCode: 'X999', regionPrefix: null, categoryIds: null }],
  idNumber: null,
});
let serial = 0;
const fileOne = () =>
  fileItems(
    database.db,
    [reimbursement({ idNumber: validId(`32011519900101${String(++serial).padStart(3, '0')}`) })],
    'test',
    { access: SYSTEM },
  );

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(database.db, FONDS, 'test');
  await fileOne();
});
afterAll(async () => {
  await database?.close();
});

it('serves a scope’s counts from memory while fresh, then the old ones while recounting', async () => {
  // The cache's own clock, moved by the test: a loaded machine cannot make a count stale early.
  let now = Date.parse('2026-12-07T03:00:00Z');
  const cache = new ArchiveCountsCache(database.db, 200, () => now);
  const first = await cache.get(everything);
  expect(first.value.total).toBe(1);
  await fileOne();
  const fresh = await cache.get(everything);
  expect(fresh.value.total).toBe(1);
  expect(fresh.asOf).toEqual(first.asOf);
  // Another scope is counted on its own.
  expect((await cache.get(elsewhere)).value.total).toBe(0);

  now += 250;
  const stale = await cache.get(everything);
  expect(stale.value.total).toBe(1);
  await cache.settle();
  const recounted = await cache.get(everything);
  expect(recounted.value.total).toBe(2);
  expect(recounted.asOf.getTime()).toBe(first.asOf.getTime() + 250);
});
