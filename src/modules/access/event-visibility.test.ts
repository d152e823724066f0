import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS } from '../../../test/helpers/fixtures.js';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import type { ItemScopeRow } from '../../shared/access-context.js';
import { createFonds } from '../catalog/fonds.service.js';
import { createBatch } from '../scan/qc.service.js';
import { eventVisibleTo } from './event-visibility.js';

// A digitization batch's events are seen by a scoped reader whose scope reaches the batch's fonds.
// The fonds is read from the batch's scan_batch.created event (access does not query scan's
// tables), so this checks that the log answers as the batch rows did.

let system: TestSystem;
let inScope: number;
let elsewhere: number;
const OTHER = { code: 'J099', name: '测试市医疗保障局', regionCode: '320100' };

beforeAll(async () => {
  system = await openTestSystem();
  const db = system.database.db;
  await createFonds(db, FONDS, 'admin');
  await createFonds(db, OTHER, 'admin');
  inScope = (await createBatch(db, { fondsCode: FONDS.code, name: '第一批' }, '扫描员李', SYSTEM)).id;
  elsewhere = (await createBatch(db, { fondsCode: OTHER.code, name: '第二批' }, '扫描员李', SYSTEM)).id;
});
afterAll(() => system?.dispose());

const row = (fondsCode: string | null): ItemScopeRow => ({
  fondsCode,
  regionPrefix: null,
  categoryIds: null,
});

async function batchSubjects(rows: ItemScopeRow[], username = 'reader'): Promise<string[]> {
  const found = await system.database.db
    .selectFrom('integrity_event as e')
    .select('e.subject')
    .distinct()
    .where('e.subject', 'like', 'scan_batch:%')
    .where(eventVisibleTo({ username, scope: { rows, idNumber: null } }))
    .orderBy('e.subject')
    .execute();
  return found.map((event) => event.subject);
}

describe('events of digitization batches', () => {
  it('are seen where the scope reaches the batch’s fonds, and not elsewhere', async () => {
    expect(await batchSubjects([row(FONDS.code)])).toEqual([`scan_batch:${inScope}`]);
    expect(await batchSubjects([row(OTHER.code)])).toEqual([`scan_batch:${elsewhere}`]);
    expect(await batchSubjects([row(null)])).toEqual(
      [`scan_batch:${inScope}`, `scan_batch:${elsewhere}`].sort(),
    );
    expect(await batchSubjects([])).toEqual([]);
  });

  it('are seen by the one who did them, whatever the scope', async () => {
    expect(await batchSubjects([], '扫描员李')).toEqual(
      [`scan_batch:${inScope}`, `scan_batch:${elsewhere}`].sort(),
    );
  });
});
