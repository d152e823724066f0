import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../../test/helpers/fixtures.js';
import { until } from '../../../test/helpers/wait.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { indexBacklog } from './index.repo.js';
import { buildDoc, catchUpIndex, rebuildIndex, startIndexer } from './indexer.js';
import { search } from './search.service.js';

// The indexer follows the event log: the server's background loop catches up on its own, a rebuilt
// index equals the incremental one, and no stored value can make a document PostgreSQL refuses.

let database: TestDatabase;
const db = () => database.db;

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
});
afterAll(() => database?.close());

describe('the indexer', () => {
  it('runs in the background until the backlog is gone, and stops cleanly', async () => {
    const indexer = startIndexer(db(), { idleMs: 50 });
    try {
      const inputs = Array.from({ length: 30 }, (_, index) =>
        reimbursement({ title: `王建国 第${index + 1}号 住院费用报销审核表` }),
      );
      await fileItems(db(), inputs, 'test', { access: SYSTEM });
      await until(async () => (await indexBacklog(db())) === 0);
      const result = await search(db(), { q: '住院费用', limit: 100 }, { access: SYSTEM });
      expect(result.total).toBe(30);
      expect(result.indexPending).toBe(0);
    } finally {
      await indexer.stop();
    }
  });

  it('rebuilds from the first event to the same documents', async () => {
    await catchUpIndex(db());
    const before = await db().selectFrom('search_doc').selectAll().orderBy('item_id').execute();
    await db().deleteFrom('search_doc').execute();
    await db().deleteFrom('search_state').execute();
    const run = await catchUpIndex(db(), { batch: 7 });
    expect(run.documents).toBeGreaterThanOrEqual(before.length);
    const after = await db().selectFrom('search_doc').selectAll().orderBy('item_id').execute();
    expect(after).toEqual(before);
  });

  it('rebuilds on demand (yidang reindex) to the same documents, the body text of each kept', async () => {
    const before = await db().selectFrom('search_doc').selectAll().orderBy('item_id').execute();
    const run = await rebuildIndex(db());
    expect(run).toMatchObject({ documents: before.length, backlog: 0 });
    const after = await db().selectFrom('search_doc').selectAll().orderBy('item_id').execute();
    expect(after).toEqual(before);
    // 题名 apart, what a phrase may be found in: the name, the business type, the category's fields.
    expect(after[0]?.body?.split('\n')).toEqual(
      expect.arrayContaining(['王建国', '江宁医院', '3201150012345', '李娜']),
    );
    expect(after[0]?.body).not.toContain('住院费用报销审核表');
  });

  it('builds a document for extreme values without exceeding what a tsvector lexeme may hold', () => {
    const doc = buildDoc({
      id: 1,
      archive_code: 'J013-JSLX·2024-D30-JSK-0001',
      fonds_code: 'J013',
      category_id: 1,
      year: 2024,
      retention: 'D30',
      pooling_region: '320115',
      carrier: 'electronic',
      sensitivity: 'normal',
      doc_date: '2024-01-01',
      amount: null,
      version: 1,
      title: 'İ'.repeat(500),
      person_name: '阿依古丽·买买提'.repeat(6),
      business_type: null,
      doc_number: 'x'.repeat(100),
      responsible: 'ﷺ'.repeat(200),
      handler: 'ﷺ'.repeat(50),
      handling_agency: 'ﷺ'.repeat(100),
      insured_number: null,
      id_number_index: null,
      extra: {},
      received_code: null,
    });
    const lexemes = [...doc.terms.matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1] as string);
    expect(lexemes.length).toBeGreaterThan(0);
    for (const lexeme of lexemes) expect(Buffer.byteLength(lexeme)).toBeLessThanOrEqual(240);
  });
});
