import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../../test/helpers/fixtures.js';
import { until } from '../../../test/helpers/wait.js';
import { createFonds } from '../catalog/fonds.service.js';
import { updateItem } from '../catalog/item.edit.service.js';
import { fileItems } from '../catalog/item.service.js';
import { analyzeDatabase, indexBacklog, statisticsMissing, upsertDocs } from './index.repo.js';
import { catchUpIndex, startIndexer } from './indexer.js';

// The indexer keeps the word index fit for searching on an engine without autovacuum: no entries
// left pending after a run, statistics refreshed as the index grows, dead rows reclaimed as documents
// are replaced.

let database: TestDatabase;
const db = () => database.db;

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
});
afterAll(() => database?.close());

/** Pages the word index still had pending (merging them now, so the next call answers 0). */
const pendingPages = async () =>
  Number(
    (
      await sql<{
        pages: number;
      }>`select gin_clean_pending_list('search_doc_terms'::regclass) as pages`.execute(db())
    ).rows[0]?.pages,
  );

const statsRows = async () =>
  (
    await sql<{ rows: number }>`select count(*)::int as rows from pg_stats
      where tablename = 'search_doc' and attname = 'terms'`.execute(db())
  ).rows[0]?.rows;

const allVisiblePages = async () =>
  Number(
    (
      await sql<{
        pages: number;
      }>`select relallvisible as pages from pg_class where relname = 'search_doc'`.execute(db())
    ).rows[0]?.pages,
  );

/** The planner's count of the items (-1: never analyzed). */
const itemRowsKnown = async () =>
  Number(
    (
      await sql<{
        rows: number;
      }>`select reltuples as rows from pg_class where relname = 'archive_item'`.execute(db())
    ).rows[0]?.rows,
  );

const items = (count: number, from: number) =>
  Array.from({ length: count }, (_, index) =>
    reimbursement({ title: `王建国 第${from + index}号 门诊费用报销审核表` }),
  );

describe('upkeep of the word index', () => {
  it('merges the entries a run adds, which writing alone leaves pending', async () => {
    await fileItems(db(), items(20, 1), 'test', { access: SYSTEM });
    const run = await catchUpIndex(db());
    expect(run.documents).toBe(20);
    expect(await pendingPages()).toBe(0);
    // The same documents written again without the merge: their entries wait in the pending list.
    const docs = await db().selectFrom('search_doc').selectAll().execute();
    expect(await upsertDocs(db(), docs)).toBe(20);
    expect(await pendingPages()).toBeGreaterThan(0);
  });

  it('counts the documents a run replaces', async () => {
    const [first] = await db()
      .selectFrom('archive_item')
      .select('archive_code')
      .orderBy('id')
      .limit(1)
      .execute();
    await updateItem(
      db(),
      first?.archive_code as string,
      { title: '王建国 门诊费用报销审核表（更正）', reason: '题名错字更正' },
      'test',
      { access: SYSTEM },
    );
    const run = await catchUpIndex(db());
    expect(run).toMatchObject({ documents: 1, replaced: 1 });
  });

  it('in the background, analyzes once enough is new and vacuums once enough is replaced', async () => {
    expect(await statsRows()).toBe(0);
    expect(await allVisiblePages()).toBe(0);
    const indexer = startIndexer(db(), { idleMs: 20, upkeepAfter: 10 });
    try {
      await fileItems(db(), items(30, 100), 'test', { access: SYSTEM });
      await until(async () => (await statsRows()) === 1);
      // Analyzing alone marks no page all-visible; only VACUUM does.
      expect(await allVisiblePages()).toBe(0);
      const codes = await db()
        .selectFrom('archive_item')
        .select('archive_code')
        .orderBy('id')
        .limit(12)
        .execute();
      for (const { archive_code } of codes)
        await updateItem(db(), archive_code, { responsible: '李娜（复核）', reason: '责任者更正' }, 'test', {
          access: SYSTEM,
        });
      // The vacuum may come after the first ten replacements, before the last two are indexed.
      await until(async () => (await allVisiblePages()) > 0 && (await indexBacklog(db())) === 0);
      // The items were analyzed with the index: a listing is not planned from guesses.
      expect(await itemRowsKnown()).toBeGreaterThan(0);
    } finally {
      await indexer.stop();
    }
  });

  it('tells a home whose items were never analyzed, and analyzing every table ends it', async () => {
    const fresh = await openTestDatabase();
    try {
      await createFonds(fresh.db, FONDS, 'test');
      await fileItems(fresh.db, items(5, 500), 'test', { access: SYSTEM });
      // Too few rows to matter at the default size; at any size the tables were never analyzed.
      expect(await statisticsMissing(fresh.db)).toBe(false);
      expect(await statisticsMissing(fresh.db, 0)).toBe(true);
      await analyzeDatabase(fresh.db);
      expect(await statisticsMissing(fresh.db, 0)).toBe(false);
    } finally {
      await fresh.close();
    }
  });
});
