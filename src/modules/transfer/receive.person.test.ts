import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pdf as makePdf } from '../../../test/helpers/check-files.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { leaksInAnswer } from '../../../test/helpers/leak-scan.js';
import { openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems, getItem } from '../catalog/item.service.js';
import { checkItem } from '../check/check.service.js';
import { addFile } from '../storage/file.service.js';
import { spkiBase64 } from './eep.js';
import { verifyHistory } from './history.js';
import { exportBatch } from './package.js';
import { verifyReceipt } from './receipt.js';
import { receiveBag } from './receive.service.js';
import { acceptReceipt } from './transfer.accept.js';
import { registerForm } from './register-form.js';
import { batchForExport, drawBatch, markExported } from './transfer.service.js';

// 参保关系转移 between two Yidang homes on one machine (two databases, two key rings): the sending
// agency draws a person batch by the ID number (kept only as its blind index) and exports it; the
// receiving agency receives the bag; the sender accepts the receiver's signed 回执. Everything the
// receiver filed verifies against the sender's checkpoint, the sensitive item stays sensitive, and
// nothing of the other person filed at the sender leaves in the bag.

let sender: TestSystem;
let receiver: TestSystem;
const MOVER = { name: '王建国', id: validId('32011519800202001') };
const OTHER = { name: '钱秀英', id: validId('32011519720303002') };
const RECEIVING = { code: 'J020', name: '南京市医疗保障局', regionCode: '320100' };

beforeAll(async () => {
  [sender, receiver] = await Promise.all([openTestSystem(), openTestSystem()]);
  await createFonds(sender.database.db, FONDS, 'test');
  await createFonds(receiver.database.db, RECEIVING, 'test');
});
afterAll(async () => {
  await Promise.all([sender?.dispose(), receiver?.dispose()]);
});

it('moves one person’s archives between two homes, provably and nothing of anyone else', async () => {
  const db = sender.database.db;
  const pdf = await makePdf(1);
  const filed = await fileItems(
    db,
    [
      reimbursement({ name: MOVER.name, idNumber: MOVER.id, title: `${MOVER.name} 门诊费用报销审核表` }),
      reimbursement({
        name: MOVER.name,
        idNumber: MOVER.id,
        title: `${MOVER.name} 住院费用报销审核表`,
        sensitivity: 'sensitive',
      }),
      reimbursement({ name: OTHER.name, idNumber: OTHER.id, title: `${OTHER.name} 门诊费用报销审核表` }),
    ],
    'test',
    { access: SYSTEM },
  );
  for (const item of filed) {
    await addFile(
      { db, store: sender.store, access: SYSTEM },
      item.archiveCode,
      { stream: streamOf(pdf), fileName: '审核表.pdf' },
      'test',
    );
    await checkItem({ db, store: sender.store }, item.archiveCode, 'test', SYSTEM);
  }
  const mine = filed.slice(0, 2).map((item) => item.archiveCode);

  // The sender draws the person's batch by ID number, pinned to the receiver's key, and exports it.
  const drawn = await drawBatch(db, SYSTEM, {
    fonds: FONDS.code,
    receiver: RECEIVING.name,
    kind: 'person',
    idNumber: MOVER.id,
    receiverKey: spkiBase64(receiver.keyring.signing.publicKey),
  });
  expect(drawn).toMatchObject({ kind: 'person', items: 2, refused: [] });
  const out = path.join(sender.home, 'out', drawn.code);
  const exported = await exportBatch(
    {
      db,
      store: sender.store,
      signingKey: sender.signingKey,
      digest: 'sha256',
      home: sender.home,
      batches: { batchForExport, markExported, registerForm },
    },
    SYSTEM,
    drawn.code,
    { out },
  );

  // Nothing of the other person in any file of the bag (text, XML, JSON, the 登记表's XLSX and PDF).
  const files = (await fs.readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  expect(files.length).toBeGreaterThan(8);
  for (const entry of files) {
    const file = path.join(entry.parentPath, entry.name);
    const leaks = await leaksInAnswer({ headers: {}, rawPayload: await fs.readFile(file) }, file, [
      OTHER.name,
      OTHER.id,
      filed[2]?.archiveCode as string,
    ]);
    expect(
      leaks.filter((leak) => leak.kind !== 'id-number'),
      file,
    ).toEqual([]);
    expect((await fs.readFile(file)).includes(OTHER.id), file).toBe(false);
  }

  // The receiver files both, in its own fonds; the sensitive one stays sensitive.
  const result = await receiveBag(
    { db: receiver.database.db, store: receiver.store, signer: receiver.keyring.signing },
    SYSTEM,
    out,
    { fonds: RECEIVING.code, senderKey: sender.keyring.signing.publicKey },
  );
  expect(result.problems).toEqual([]);
  expect(result).toMatchObject({ kind: 'person', state: 'accepted', batch: drawn.code });
  expect(result.items.map((i) => i.sourceArchiveCode).sort()).toEqual([...mine].sort());
  const byTitle = new Map<string, string>();
  for (const received of result.items) {
    const item = await getItem(receiver.database.db, received.archiveCode as string, SYSTEM);
    byTitle.set(item.title, item.sensitivity);
    expect(item.idNumber).toBe(MOVER.id);
    expect(item.fonds).toBe(RECEIVING.code);
  }
  expect(byTitle.get(`${MOVER.name} 住院费用报销审核表`)).toBe('sensitive');
  expect(byTitle.get(`${MOVER.name} 门诊费用报销审核表`)).toBe('normal');

  // Everything the receiver holds verifies against the sender's checkpoint and key.
  const checkpoint = await fs.readFile(path.join(out, 'data/checkpoint.txt'), 'utf8');
  const rows = await receiver.database.db
    .selectFrom('receive_item')
    .select(['source_archive_code', 'history', 'accepted'])
    .execute();
  expect(rows).toHaveLength(2);
  for (const row of rows) {
    const history = typeof row.history === 'string' ? JSON.parse(row.history) : row.history;
    const proven = verifyHistory(
      history,
      checkpoint,
      sender.keyring.signing.publicKey,
      row.source_archive_code,
    );
    expect(proven.events).toBeGreaterThanOrEqual(3);
    expect(proven.treeSize).toBe(exported.treeSize);
  }
  // A receiver key other than the sender's declared one is refused as the bag's own problem.
  const wrongKey = await receiveBag(
    { db: receiver.database.db, store: receiver.store, signer: receiver.keyring.signing },
    SYSTEM,
    out,
    { fonds: RECEIVING.code, senderKey: receiver.keyring.signing.publicKey },
  );
  expect(wrongKey.state).toBe('rejected');
  expect(wrongKey.problems.map((p) => p.message)).toContain('移交包声明的签名公钥不是预期的移交方公钥');

  // Both sides record it: the sender accepts the signed receipt, and its items are 已移交.
  expect(verifyReceipt(result.receipt, receiver.keyring.signing.publicKey).batch).toBe(drawn.code);
  const accepted = await acceptReceipt(db, SYSTEM, drawn.code, result.receipt);
  expect(accepted).toMatchObject({ accepted: 2, rejected: [] });
  for (const code of mine) expect((await getItem(db, code, SYSTEM)).transferred?.batch).toBe(drawn.code);
  expect((await getItem(db, filed[2]?.archiveCode as string, SYSTEM)).transferred).toBeUndefined();
  const bags = await receiver.database.db.selectFrom('receive_bag').select(['batch', 'state']).execute();
  expect(bags).toContainEqual({ batch: drawn.code, state: 'accepted' });
});
