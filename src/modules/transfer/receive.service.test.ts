import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdf as makePdf } from '../../../test/helpers/check-files.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { exportFiledAsBag } from '../../../test/helpers/transfer-bag.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems, getItem } from '../catalog/item.service.js';
import { search } from '../search/search.service.js';
import { addFile, openFile } from '../storage/file.service.js';
import { verifyAll } from '../verify/verify.service.js';
import { bagTarStream } from './bag.tar.js';
import { verifyReceipt } from './receipt.js';
import { receiveBag, receiveTar } from './receive.service.js';
import { showReceived } from './receive.view.js';

// Receiving end to end between two Yidang homes (two databases, two key rings): the sender files and
// exports a bag; the receiver validates it, judges each 件, files the accepted ones in its own fonds
// with the sender's 档号 kept, and signs a receipt the sender can verify. A tampered bag (one byte,
// a manifest line removed, an extra file, a renamed file) is rejected naming what is wrong, and
// nothing of it is filed.

let sender: TestSystem;
let receiver: TestSystem;
let bag: string;
const codes: string[] = [];
const ARCHIVES = { code: 'G320', name: '南京市档案馆', regionCode: '320100' };
let pdf: Buffer;

const receiveContext = () => ({
  db: receiver.database.db,
  store: receiver.store,
  signer: receiver.keyring.signing,
});
const count = async (system: TestSystem, table: 'archive_item' | 'receive_bag') =>
  Number(
    (
      await system.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  [sender, receiver] = await Promise.all([openTestSystem(), openTestSystem()]);
  pdf = await makePdf(1);
  await createFonds(sender.database.db, FONDS, 'test');
  await createFonds(receiver.database.db, ARCHIVES, 'test');
  const filed = await fileItems(
    sender.database.db,
    [
      reimbursement({ title: '王建国 门诊费用报销审核表' }),
      reimbursement({ title: '王建国 住院费用报销审核表', sensitivity: 'sensitive' }),
    ],
    'test',
    { access: SYSTEM },
  );
  for (const item of filed) {
    codes.push(item.archiveCode);
    await addFile(
      { db: sender.database.db, store: sender.store, access: SYSTEM },
      item.archiveCode,
      { stream: streamOf(pdf), fileName: '报销单.pdf' },
      'test',
    );
  }
  const out = path.join(sender.home, 'out', 'YJ-J013-2026-1');
  bag = await exportFiledAsBag(sender, 'YJ-J013-2026-1', filed, out);
});
afterAll(async () => {
  await Promise.all([sender?.dispose(), receiver?.dispose()]);
});

/** A copy of the exported bag to break. */
async function copyOfBag(name: string): Promise<string> {
  const dir = path.join(receiver.home, 'bags', name);
  await fs.cp(bag, dir, { recursive: true });
  return dir;
}

/** Rewrites a payload file's manifest line and the tag manifest, so the bag itself stays valid. */
async function reseal(dir: string, rel: string): Promise<void> {
  const hex = async (file: string) =>
    crypto
      .createHash('sha256')
      .update(await fs.readFile(path.join(dir, file)))
      .digest('hex');
  const manifest = path.join(dir, 'manifest-sha256.txt');
  const lines = (await fs.readFile(manifest, 'utf8')).split('\n');
  await fs.writeFile(
    manifest,
    (
      await Promise.all(lines.map(async (l) => (l.endsWith(` ${rel}`) ? `${await hex(rel)}  ${rel}` : l)))
    ).join('\n'),
  );
  const tag = path.join(dir, 'tagmanifest-sha256.txt');
  const tagLines = (await fs.readFile(tag, 'utf8')).split('\n');
  await fs.writeFile(
    tag,
    (
      await Promise.all(
        tagLines.map(async (l) => {
          const name = l.split(/\s+/)[1];
          return name ? `${await hex(name)}  ${name}` : l;
        }),
      )
    ).join('\n'),
  );
}

describe('receiving a bag between two homes', () => {
  it('accepts a valid bag (as a tar), files each item with the sender’s 档号 kept, and signs the receipt', async () => {
    const before = await count(receiver, 'archive_item');
    const result = await receiveTar(receiveContext(), SYSTEM, bagTarStream(bag), { fonds: ARCHIVES.code });
    expect(result.problems).toEqual([]);
    expect(result.state).toBe('accepted');
    expect(result.batch).toBe('YJ-J013-2026-1');
    expect(result.items.map((i) => i.sourceArchiveCode).sort()).toEqual([...codes].sort());
    expect(result.items.every((i) => i.accepted && i.archiveCode?.startsWith('G320'))).toBe(true);
    expect(result.items[0]?.checks.authenticity.status).toBe('pass');
    expect(result.items[0]?.checks.authenticity.detail).toMatch(/个事件在移交方检查点中得到证明/);
    expect(await count(receiver, 'archive_item')).toBe(before + 2);

    // The receipt verifies with the receiver's key and names the bag's tag-manifest digest.
    const receipt = verifyReceipt(result.receipt, receiver.keyring.signing.publicKey);
    const tagDigest = crypto
      .createHash('sha256')
      .update(await fs.readFile(path.join(bag, 'tagmanifest-sha256.txt')))
      .digest('hex');
    expect(receipt.bagDigest).toEqual({ algorithm: 'sha256', value: tagDigest });
    expect(receipt.items.filter((i) => i.accepted)).toHaveLength(2);
    expect(result.receiptName).toBe('回执-YJ-J013-2026-1.json');

    // Filed here: the same metadata and sensitivity, the file byte for byte, an event naming the source.
    const received = result.items[1];
    const item = await getItem(receiver.database.db, received?.archiveCode as string, SYSTEM);
    expect(item.sensitivity).toBe('sensitive');
    expect(item.title).toBe('王建国 住院费用报销审核表');
    expect(item.idNumber).toBe(validId());
    const opened = await openFile(
      { db: receiver.database.db, store: receiver.store, access: SYSTEM },
      item.archiveCode,
      1,
      'test',
    );
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(pdf);
    const events = await receiver.database.db
      .selectFrom('integrity_event')
      .select(['action', 'payload'])
      .where('subject', '=', `item:${item.archiveCode}`)
      .execute();
    const receivedEvent = events.find((e) => e.action === 'item.received');
    expect(JSON.parse(receivedEvent?.payload as string)).toMatchObject({
      sourceArchiveCode: received?.sourceArchiveCode,
      batch: 'YJ-J013-2026-1',
      bagDigest: tagDigest,
    });
    // The sender's 档号 and organisation are fields of the filed item (原档号, 来源单位), outside its
    // logged state (verify stays clean), and a search for the sender's 档号 finds it.
    expect(item.received).toEqual({
      originalCode: received?.sourceArchiveCode,
      source: result.sender,
      batch: 'YJ-J013-2026-1',
    });
    const found = await search(
      receiver.database.db,
      { q: received?.sourceArchiveCode as string },
      { access: SYSTEM, catchUp: 1000 },
    );
    expect(found.hits.map((hit) => hit.item.archiveCode)).toEqual([item.archiveCode]);
    const report = await verifyAll({
      db: receiver.database.db,
      store: receiver.store,
      signingKey: receiver.signingKey,
    });
    expect(report.problems).toEqual([]);
    const shown = await showReceived(receiver.database.db, SYSTEM, result.id);
    expect(shown.items.map((i) => i.archiveCode)).toEqual(result.items.map((i) => i.archiveCode));

    // The same bag again is refused.
    const again = await failure(receiveBag(receiveContext(), SYSTEM, bag, { fonds: ARCHIVES.code }));
    expect(again.code).toBe('RECEIVE_DUPLICATE');
  });

  it('rejects a tampered bag naming exactly what is wrong, filing nothing', async () => {
    const folder = (await fs.readdir(path.join(bag, 'data'))).find((f) => f.startsWith('J013')) as string;
    const file = `data/${folder}/files/报销单.pdf`;
    const cases: Array<[string, (dir: string) => Promise<void>, Array<[string, string | undefined]>]> = [
      [
        'one byte',
        async (dir) => {
          const bytes = await fs.readFile(path.join(dir, file));
          bytes[5] = (bytes[5] ?? 0) ^ 0x20;
          await fs.writeFile(path.join(dir, file), bytes);
        },
        [['BAG_DIGEST_MISMATCH', file]],
      ],
      [
        'manifest line removed',
        async (dir) => {
          const manifest = path.join(dir, 'manifest-sha256.txt');
          const text = await fs.readFile(manifest, 'utf8');
          await fs.writeFile(
            manifest,
            text
              .split('\n')
              .filter((l) => !l.endsWith(file))
              .join('\n'),
          );
        },
        [
          ['BAG_PAYLOAD_FILE_UNLISTED', file],
          ['BAG_DIGEST_MISMATCH', 'manifest-sha256.txt'],
        ],
      ],
      [
        'extra file',
        async (dir) => {
          await fs.writeFile(path.join(dir, `data/${folder}/files/extra.txt`), 'x');
        },
        [
          ['BAG_PAYLOAD_FILE_UNLISTED', `data/${folder}/files/extra.txt`],
          ['BAG_OXUM_MISMATCH', 'bag-info.txt'],
        ],
      ],
      [
        'renamed file',
        async (dir) => {
          await fs.rename(path.join(dir, file), path.join(dir, `data/${folder}/files/改名.pdf`));
        },
        [
          ['BAG_PAYLOAD_FILE_MISSING', file],
          ['BAG_PAYLOAD_FILE_UNLISTED', `data/${folder}/files/改名.pdf`],
        ],
      ],
    ];
    const items = await count(receiver, 'archive_item');
    for (const [name, tamper, expected] of cases) {
      const dir = await copyOfBag(name);
      await tamper(dir);
      const result = await receiveBag(receiveContext(), SYSTEM, dir, { fonds: ARCHIVES.code });
      expect(
        result.problems.map((p) => [p.code, p.path]),
        name,
      ).toEqual(expected);
      expect(result.state).toBe('rejected');
      expect(result.items.every((i) => !i.accepted && /移交包校验未通过/.test(i.reason ?? ''))).toBe(true);
      expect(verifyReceipt(result.receipt).bagProblems).toHaveLength(expected.length);
    }
    expect(await count(receiver, 'archive_item')).toBe(items);
  });

  it('rejects one item whose EEP was altered (the bag resealed), accepting the other', async () => {
    const dir = await copyOfBag('eep-altered');
    const folders = (await fs.readdir(path.join(dir, 'data'))).filter((f) => f.startsWith('J013')).sort();
    const eep = `data/${folders[0]}/eep.xml`;
    const xml = await fs.readFile(path.join(dir, eep), 'utf8');
    await fs.writeFile(path.join(dir, eep), xml.replace('门诊费用报销审核表', '门诊费用报销审核单'));
    await reseal(dir, eep);
    // Received into a fresh fonds: the first receipt already filed these 档号 from this sender.
    const result = await receiveBag(receiveContext(), SYSTEM, dir, { fonds: ARCHIVES.code });
    expect(result.problems).toEqual([]);
    expect(result.state).toBe('rejected');
    const altered = result.items.find((i) => i.sourceArchiveCode === folders[0]);
    expect(altered?.reason).toMatch(/签名无效/);
    const other = result.items.find((i) => i.sourceArchiveCode !== folders[0]);
    expect(other?.reason).toMatch(/已于此前接收/);
  });
});
