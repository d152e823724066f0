import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { pdf as makePdf } from '../../../test/helpers/check-files.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement } from '../../../test/helpers/fixtures.js';
import { openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { exportFiledAsBag } from '../../../test/helpers/transfer-bag.js';
import { type App, buildApp } from '../../http/app.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { addFile } from '../storage/file.service.js';
import { bagTarStream } from './bag.tar.js';
import { BagWriter } from './bag.write.js';
import { buildEep, parseEep, spkiBase64 } from './eep.js';
import { verifyReceipt } from './receipt.js';
import { readSenderKey, receiveBag } from './receive.service.js';

// What a receive must withstand: a hostile file name in one 件 (that 件 only is rejected), two uploads
// of one bag at the same moment (filed once), and a bag signed by a key the receiver never pinned
// (真实性 says the sender's key was not checked; a pinned key must match, over HTTP too).

let sender: TestSystem;
let receivers: TestSystem[];
let bag: string;
let hostile: string;
const codes: string[] = [];
const ARCHIVES = { code: 'G320', name: '南京市档案馆', regionCode: '320100' };

const contextOf = (r: TestSystem) => ({ db: r.database.db, store: r.store, signer: r.keyring.signing });
const itemCount = async (r: TestSystem) =>
  Number(
    (
      await r.database.db
        .selectFrom('archive_item')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  const systems = await Promise.all([0, 1, 2, 3].map(() => openTestSystem()));
  sender = systems[0] as TestSystem;
  receivers = systems.slice(1);
  const pdf = await makePdf(1);
  await createFonds(sender.database.db, FONDS, 'test');
  for (const r of receivers) await createFonds(r.database.db, ARCHIVES, 'test');
  const filed = await fileItems(
    sender.database.db,
    [
      reimbursement({ title: '王建国 门诊费用报销审核表' }),
      reimbursement({ title: '王建国 住院费用报销审核表' }),
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
  bag = await exportFiledAsBag(
    sender,
    'YJ-J013-2026-7',
    filed,
    path.join(sender.home, 'out', 'YJ-J013-2026-7'),
  );

  // The same bag rebuilt by the sender, the second item's EEP validly signed with a hostile file name.
  hostile = path.join(sender.home, 'hostile');
  const writer = await BagWriter.open(hostile, { digest: 'sha256' });
  await writer.addFile('checkpoint.txt', await fs.readFile(path.join(bag, 'data/checkpoint.txt')));
  for (const [i, code] of codes.entries()) {
    const folder = path.join(bag, 'data', code);
    const eep = parseEep(await fs.readFile(path.join(folder, 'eep.xml')));
    for (const f of eep.files)
      await writer.addFile(`${code}/${f.ref}`, await fs.readFile(path.join(folder, f.ref)));
    const files = eep.files.map((f) => ({ ...f, name: i === 1 ? 'a/../b.pdf' : f.name }));
    await writer.addFile(
      `${code}/eep.xml`,
      buildEep(
        {
          archiveCode: code,
          createdAt: new Date(),
          organisation: eep.organisation,
          metadata: eep.item,
          files,
        },
        sender.signingKey,
      ),
    );
    await writer.addFile(`${code}/history.json`, await fs.readFile(path.join(folder, 'history.json')));
  }
  await writer.finish({
    sourceOrganization: '北京市某某医疗保障局',
    baggingDate: '2026-12-07',
    externalIdentifier: 'YJ-J013-2026-8',
    transferKind: 'fonds',
    signingKey: spkiBase64(sender.signingKey.publicKey),
  });
});
afterAll(async () => {
  await Promise.all([sender, ...receivers].map((s) => s?.dispose()));
});

describe('receiving under hostile input and races', () => {
  it('rejects only the 件 whose EEP file name is hostile; the other is filed and the receipt issued', async () => {
    const r = receivers[0] as TestSystem;
    const before = await itemCount(r);
    const result = await receiveBag(contextOf(r), SYSTEM, hostile, { fonds: ARCHIVES.code });
    expect(result.state).toBe('partial');
    const [good, bad] = codes.map((code) => result.items.find((i) => i.sourceArchiveCode === code));
    expect(good?.accepted).toBe(true);
    expect(good?.archiveCode).toMatch(/^G320/);
    expect(bad?.accepted).toBe(false);
    expect(bad?.reason).toMatch(/文件名.*不能包含路径/);
    expect(bad?.checks.integrity.status).toBe('fail');
    expect(await itemCount(r)).toBe(before + 1);
    const receipt = verifyReceipt(result.receipt, r.keyring.signing.publicKey);
    expect(receipt.items.map((i) => i.accepted).sort()).toEqual([false, true]);
    // Without a pinned sender key, 真实性 says so plainly.
    expect(good?.checks.authenticity.status).toBe('pass');
    expect(good?.checks.authenticity.detail).toMatch(/未核对移交方公钥/);
  });

  it('files a bag once when it is uploaded twice at the same moment', async () => {
    const r = receivers[1] as TestSystem;
    const before = await itemCount(r);
    const outcomes = await Promise.allSettled([
      receiveBag(contextOf(r), SYSTEM, bag, { fonds: ARCHIVES.code }),
      receiveBag(contextOf(r), SYSTEM, bag, { fonds: ARCHIVES.code }),
    ]);
    expect(await itemCount(r)).toBe(before + 2);
    const accepted = outcomes.filter((o) => o.status === 'fulfilled' && o.value.state === 'accepted');
    expect(accepted).toHaveLength(1);
    const other = outcomes.find((o) => !(o.status === 'fulfilled' && o.value.state === 'accepted'));
    if (other?.status === 'rejected') expect(other.reason.code).toBe('RECEIVE_DUPLICATE');
    else {
      expect(other?.value.state).toBe('rejected');
      expect(other?.value.items.every((i) => /已于此前接收/.test(i.reason ?? ''))).toBe(true);
    }
    const filed = await r.database.db
      .selectFrom('receive_item')
      .select('source_archive_code')
      .where('accepted', '=', true)
      .execute();
    expect(filed.map((f) => f.source_archive_code).sort()).toEqual([...codes].sort());
  });

  it('checks the bag against a pinned sender key over HTTP, and refuses a key that cannot be read', async () => {
    const r = receivers[2] as TestSystem;
    const app: App = await buildApp({ database: r.database, store: r.store, signingKey: r.signingKey });
    try {
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const archivist: TestUser = await testUser(r.database.db, { roles: ['archivist'] });
      const tar: Buffer[] = [];
      for await (const chunk of bagTarStream(bag)) tar.push(chunk as Buffer);
      const upload = (senderKey?: string) => {
        const form = new FormData();
        form.append('file', new Blob([Buffer.concat(tar)]), 'bag.tar');
        const query = `fonds=${ARCHIVES.code}${senderKey ? `&senderKey=${encodeURIComponent(senderKey)}` : ''}`;
        return fetch(`${base}/api/v1/transfer/received?${query}`, {
          method: 'POST',
          body: form,
          headers: archivist.headers,
        });
      };
      type Shown = {
        state: string;
        items: Array<{ accepted: boolean; checks: { authenticity: { detail: string } } }>;
      };

      const unreadable = await upload('not a key');
      expect(unreadable.status).toBe(400);
      expect(((await unreadable.json()) as { error: { code: string } }).error.code).toBe(
        'RECEIVE_INPUT_INVALID',
      );

      const other = crypto.generateKeyPairSync('ed25519').publicKey;
      const wrong = await upload(spkiBase64(other));
      expect(wrong.status).toBe(201);
      const wrongShown = (await wrong.json()) as Shown;
      expect(wrongShown.state).toBe('rejected');
      expect(JSON.stringify(wrongShown)).toContain('不是预期的移交方公钥');

      const pinned = await upload(spkiBase64(sender.signingKey.publicKey));
      expect(pinned.status).toBe(201);
      const shown = (await pinned.json()) as Shown;
      expect(shown.state).toBe('accepted');
      expect(shown.items[0]?.checks.authenticity.detail).toMatch(/签名公钥与指定的移交方公钥一致/);
      expect(shown.items[0]?.checks.authenticity.detail).not.toMatch(/未核对/);
    } finally {
      await app.close();
    }
  });

  it('reads a pinned key as PEM or base64 SPKI', () => {
    const key = sender.signingKey.publicKey;
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    expect(readSenderKey(pem).equals(key)).toBe(true);
    expect(readSenderKey(spkiBase64(key)).equals(key)).toBe(true);
  });

  it('refuses an empty pinned key', async () => {
    const error = await failure(Promise.resolve().then(() => readSenderKey('  ')));
    expect(error.code).toBe('RECEIVE_INPUT_INVALID');
  });
});
