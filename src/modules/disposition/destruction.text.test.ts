import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account, roundDeciding } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { inTransaction } from '../../db/transaction.js';
import type { Principal } from '../access/principal.js';
import { upsertDocs } from '../search/index.repo.js';
import { catchUpIndex } from '../search/indexer.js';
import { writePageTexts } from '../search/page-text.service.js';
import type { SearchDocTable } from '../search/search.tables.js';
import { verifyAll } from '../verify/verify.service.js';
import { carryOut } from './destruction.carry.js';
import { drawRegister } from './destruction.draw.js';
import { approveRegister, carryOutRegister, signRegister } from './destruction.service.js';

// The search index and the OCR page text never take a destroyed item's text back (review F18): an
// indexer batch or an OCR page read before the carry-out committed writes afterwards — the writers
// select the item share-locked in the statement that writes and skip (and delete) a tombstone's
// rows; item.destroyed is an indexed action, so the next indexer run drops any document left.

let system: TestSystem;
const db = () => system.database.db;
const people: Record<string, Principal> = {};

beforeAll(async () => {
  system = await openTestSystem();
  for (const [name, role] of [
    ['drawer', 'archivist'],
    ['lead', 'reviewer'],
    ['approver', 'manager'],
    ['witness-a', 'reviewer'],
    ['witness-b', 'archivist'],
  ] as const)
    people[name] = await account(db(), name, [role]);
});
afterAll(() => system?.dispose());

async function destroyAll(codes: string[]): Promise<void> {
  const round = await roundDeciding(db(), codes, {
    lead: people.lead?.username as string,
    members: [people.drawer?.username as string],
  });
  const { code } = await drawRegister(db(), people.drawer as Principal, { round: round.code });
  await signRegister(db(), people.lead as Principal, code, 'lead');
  await approveRegister(db(), people.approver as Principal, code);
  await signRegister(db(), people['witness-a'] as Principal, code, 'witness');
  await signRegister(db(), people['witness-b'] as Principal, code, 'witness');
  await carryOutRegister(db(), people.drawer as Principal, code);
  expect(
    await carryOut({ db: db(), store: system.store, signingKey: system.signingKey }, code, 'test'),
  ).toMatchObject({ completed: true });
}

const idOf = async (code: string) =>
  Number(
    (
      await db()
        .selectFrom('archive_item')
        .select('id')
        .where('archive_code', '=', code)
        .executeTakeFirstOrThrow()
    ).id,
  );

describe('text written back after a destruction', () => {
  it('is refused by the index writer and the page-text writer, and the indexer drops what is left', async () => {
    const code = await fileOneItem(system, {
      date: '1990-03-15',
      handledAt: '1990-03-15T10:00:00+08:00',
      retention: 'D30',
      idNumber: validId('32011519700101777'),
      title: '王建国 住院费用报销审核表',
    });
    const id = await idOf(code);
    await catchUpIndex(db());
    // What an indexer batch and an OCR task read before the destruction.
    const stale = (await db()
      .selectFrom('search_doc')
      .selectAll()
      .where('item_id', '=', id)
      .executeTakeFirstOrThrow()) as unknown as SearchDocTable;
    expect(JSON.stringify(stale)).toContain('王建国');

    await destroyAll([code]);
    const docs = () => db().selectFrom('search_doc').select('item_id').where('item_id', '=', id).execute();
    expect(await docs()).toEqual([]);

    // The indexer's late write: nothing of the tombstone lands; a document left there goes too.
    await inTransaction(db(), (trx) => upsertDocs(trx, [stale]));
    expect(await docs()).toEqual([]);
    // A document written before the guard existed (or by hand): the indexer's next write removes it.
    await sql`insert into search_doc
      select * from jsonb_populate_recordset(null::search_doc, ${JSON.stringify([stale])}::jsonb)`.execute(
      db(),
    );
    expect(await docs()).toHaveLength(1);
    await inTransaction(db(), (trx) => upsertDocs(trx, [stale]));
    expect(await docs()).toEqual([]);

    // The OCR task's late page: no text, no event.
    const events = () =>
      db()
        .selectFrom('integrity_event')
        .select('seq')
        .where('action', '=', 'item.text_recorded')
        .where('subject', '=', `item:${code}`)
        .execute();
    await inTransaction(db(), (trx) =>
      writePageTexts(
        trx,
        SYSTEM,
        { id, archiveCode: code },
        [{ page: 1, text: '王建国 住院 诊断' }],
        'ocr',
        'ocr',
      ),
    );
    expect(
      await db().selectFrom('item_page_text').select('page').where('item_id', '=', id).execute(),
    ).toEqual([]);
    expect(await events()).toEqual([]);

    // item.destroyed is indexed: a full rebuild or catch-up never brings the document back.
    await catchUpIndex(db());
    expect(await docs()).toEqual([]);
    expect(
      (await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey })).problems,
    ).toEqual([]);
  });
});
