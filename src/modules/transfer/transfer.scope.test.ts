import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { accessContextOf } from '../access/principal.js';
import { createFonds } from '../catalog/fonds.service.js';
import { checkItem } from '../check/check.service.js';
import { addFile } from '../storage/file.service.js';
import { receiveTar } from './receive.service.js';
import { listReceived, showReceivedBatch } from './receive.view.js';
import { fondsReached } from './transfer.scope.js';
import { drawBatch } from './transfer.service.js';
import { listBatchesFor, showBatch } from './transfer.view.js';

// Batches and received bags belong to a fonds: a scope row bound to a region only reaches the fonds
// of that region (J013, 320115), not another region's (J014, 320116) — listed, opened, drawn or
// received into, each answers as missing. Only a row bound to neither fonds nor region reaches all.

let system: TestSystem;
const db = () => system.database.db;

/** A bag in name only: received, it is rejected with its problems, but a receipt is kept. */
async function emptyBag(batch: string): Promise<Readable> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  pack.entry({ name: 'bag/bagit.txt' }, 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n');
  pack.entry(
    { name: 'bag/bag-info.txt' },
    `Source-Organization: 外地医疗保障局\nExternal-Identifier: ${batch}\n`,
  );
  pack.finalize();
  await ended;
  return Readable.from(Buffer.concat(chunks));
}

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
});
afterAll(() => system?.dispose());

describe('the fonds a scope reaches', () => {
  it('keeps a region-scoped user to the fonds of that region, in batches and received bags', async () => {
    const context = { db: db(), store: system.store, signer: system.keyring.signing };
    await receiveTar(context, SYSTEM, await emptyBag('YJ-J014-2026-77'), { fonds: 'J014' });
    await receiveTar(context, SYSTEM, await emptyBag('YJ-J013-2026-78'), { fonds: 'J013' });
    const j014 = await fileOneItem(system, {
      fonds: 'J014',
      poolingRegion: '320116',
      responsible: '南京市六合区医疗保障局',
    });
    await addFile(
      { db: db(), store: system.store, access: SYSTEM },
      j014,
      { fileName: '审核表.txt', stream: streamOf('六合区审核表\n') },
      'test',
    );
    await checkItem({ db: db(), store: system.store }, j014, 'test', SYSTEM);
    const foreign = await drawBatch(db(), SYSTEM, { fonds: 'J014', items: [j014], receiver: '南京市档案馆' });
    const regional = await accessContextOf(
      db(),
      await account(
        db(),
        'jn-region',
        ['archivist'],
        [{ fondsCode: null, regionCode: '320115', categoryCode: null }],
      ),
    );
    expect(await fondsReached(db(), regional)).toEqual(['J013']);
    expect((await listReceived(db(), regional)).map((bag) => bag.fonds)).toEqual(['J013']);
    expect((await failure(showReceivedBatch(db(), regional, 'YJ-J014-2026-77'))).code).toBe(
      'RECEIVE_NOT_FOUND',
    );
    expect((await showReceivedBatch(db(), regional, 'YJ-J013-2026-78')).shown.fonds).toBe('J013');
    expect(
      (await failure(receiveTar(context, regional, await emptyBag('YJ-J014-2026-79'), { fonds: 'J014' })))
        .code,
    ).toBe('FONDS_NOT_FOUND');
    expect((await failure(drawBatch(db(), regional, { fonds: 'J014', receiver: '南京市档案馆' }))).code).toBe(
      'FONDS_NOT_FOUND',
    );
    expect((await listBatchesFor(db(), SYSTEM, {})).map((batch) => batch.code)).toContain(foreign.code);
    expect((await listBatchesFor(db(), regional, {})).map((batch) => batch.fonds)).not.toContain('J014');
    expect((await failure(showBatch(db(), regional, foreign.code))).code).toBe('TRANSFER_NOT_FOUND');
    // A row bound to neither fonds nor region reaches every fonds.
    const everywhere = await accessContextOf(db(), await account(db(), 'all-fonds', ['archivist']));
    expect(await fondsReached(db(), everywhere)).toBeNull();
    expect((await listReceived(db(), everywhere)).map((bag) => bag.fonds).sort()).toEqual(['J013', 'J014']);
  });
});
