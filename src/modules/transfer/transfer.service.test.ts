import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { beijingDate, beijingIso } from '../../shared/beijing-time.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { inTransaction } from '../../db/transaction.js';
import type { Principal } from '../access/principal.js';
import { accessContextOf } from '../access/principal.js';
import { liftHold, placeHold } from '../catalog/hold.service.js';
import { updateItem } from '../catalog/item.edit.service.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { checkItem } from '../check/check.service.js';
import { listEvents } from '../integrity/event.queries.js';
import { requestLoan } from '../lending/lending.request.js';
import { addFile } from '../storage/file.service.js';
import { verifyAll } from '../verify/verify.service.js';
import { bagDirOf } from './bag.remove.js';
import { signReceipt } from './receipt.js';
import { registerForm } from './register-form.js';
import { acceptReceipt, yearsAfter } from './transfer.accept.js';
import { batchForExport, drawBatch, markExported, withdrawBatch } from './transfer.service.js';
import { listBatchesFor, showBatch } from './transfer.view.js';

// 移交批次 on a real database: drawing with each refusal and its reason, the batch handed to the
// export job, the receiver's signed 回执 (forged, for another bag, incomplete, then good), the
// accepted items kept read-only (已移交) and the rejected ones back to normal, a person-level batch
// by blind index, the 登记表 in both formats, and verify over the batches' logged state.

/** Acceptance today: the copy is kept five years from today (Beijing). */
const KEEP_UNTIL = yearsAfter(beijingDate(new Date()), 5);
let system: TestSystem;
const db = () => system.database.db;
let serial = 0;
const PERSON = validId('32011519800202001');
const file = async (overrides: Record<string, unknown> = {}) => {
  serial += 1;
  const code = await fileOneItem(system, {
    year: 2019,
    date: '2019-05-10',
    handledAt: '2019-05-10T10:00:00+08:00',
    idNumber: validId(`32011519700101${String(serial).padStart(3, '0')}`),
    title: `王建国 零星报销审核表 ${serial}`,
    ...overrides,
  });
  await addFile(
    { db: db(), store: system.store, access: SYSTEM },
    code,
    { fileName: `审核表-${serial}.txt`, stream: streamOf(`审核表内容 ${serial}\n`) },
    'test',
  );
  return code;
};
const check = (code: string) => checkItem({ db: db(), store: system.store }, code, 'test', SYSTEM);
const item = async (code: string) => (await findItemsByCodes(db(), [code], scopedQuery(SYSTEM)))[0];

let drawer: Principal;
let clerk: Principal;
const keys = crypto.generateKeyPairSync('ed25519');
const signer = { algorithm: 'ed25519' as const, privateKey: keys.privateKey, publicKey: keys.publicKey };
const DIGEST = 'ab'.repeat(32);
const KEY = keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const otherKeys = crypto.generateKeyPairSync('ed25519');

beforeAll(async () => {
  system = await openTestSystem();
  drawer = await account(db(), 'transferer', ['archivist']);
  clerk = await account(db(), 'clerk', ['clerk']);
});
afterAll(() => system?.dispose());

const as = (principal: Principal) => accessContextOf(db(), principal);
const receipt = (
  batch: string,
  items: Array<{ archiveCode: string; accepted: boolean; reason?: string }>,
  digest = DIGEST,
  by: { signer?: typeof signer; receiver?: string; at?: string } = {},
) =>
  signReceipt(
    {
      batch,
      bagDigest: { algorithm: 'sha256', value: digest },
      sender: '南京市江宁区医疗保障局',
      receiver: by.receiver ?? '南京市档案馆',
      receivedAt: by.at ?? beijingIso(new Date()),
      items,
      bagProblems: [],
    },
    by.signer ?? signer,
  );

describe('a transfer batch', () => {
  let code: string;
  let ok: string;
  let second: string;

  it('draws the items that may go and names each refused one with its reason', async () => {
    ok = await file();
    second = await file();
    const unchecked = await file();
    const held = await file();
    const lent = await file();
    const sensitive = await file({ sensitivity: 'sensitive' });
    for (const code of [ok, second, held, lent, sensitive]) await check(code);
    await placeHold(db(), SYSTEM, {
      fonds: 'J013',
      items: [held],
      reason: '医保基金稽核案件取证',
      caseRef: 'AJ-9',
    });
    await requestLoan(db(), clerk, { kind: 'electronic', items: [lent], purpose: '核对报销凭证', days: 5 });

    const drawn = await drawBatch(db(), await as(drawer), {
      fonds: 'J013',
      year: 2019,
      receiver: '南京市档案馆',
      receiverKey: KEY,
    });
    code = drawn.code;
    expect(code).toMatch(/^YJ-J013-\d{4}-1$/);
    expect(drawn.items).toBe(2);
    expect(Object.fromEntries(drawn.refused.map((refusal) => [refusal.archiveCode, refusal.reason]))).toEqual(
      {
        [unchecked]: 'unchecked',
        [held]: 'held',
        [lent]: 'on_loan',
        [sensitive]: 'sensitive',
      },
    );
    // Changed after the drawing: the batch is not exported until drawn again.
    await updateItem(db(), second, { title: '王建国 零星报销审核表（更正）', reason: '更正题名' }, 'test', {
      access: SYSTEM,
    });
    const stale = await failure(batchForExport(db(), await as(drawer), code));
    expect(stale.code).toBe('TRANSFER_STATE');
    expect(stale.message).toContain(`${second}：编制批次后档案已修改`);
    await withdrawBatch(db(), await as(drawer), code, '档案已修改，重新编制');
    await check(second);
    code = (
      await drawBatch(db(), await as(drawer), {
        fonds: 'J013',
        year: 2019,
        receiver: '南京市档案馆',
        receiverKey: KEY,
      })
    ).code;
    expect(code).toMatch(/^YJ-J013-\d{4}-2$/);
    const view = await showBatch(db(), await as(drawer), code);
    expect(view).toMatchObject({
      code,
      fonds: 'J013',
      kind: 'fonds',
      state: 'drawn',
      receiver: '南京市档案馆',
    });
    expect(view.counts).toEqual({ included: 2, refused: 4, accepted: 0, rejected: 0 });
    expect(view.totals.files).toBe(2);
    // 题名 masked in the batch's own list; the check results kept per item.
    const first = view.items.find((entry) => entry.archiveCode === ok);
    expect(first?.title).not.toContain('王建国');
    expect(first?.check).toMatchObject({ authenticity: 'pass', integrity: 'pass' });
    // On an open batch, an item may not go on another.
    const again = await failure(
      drawBatch(db(), await as(drawer), { fonds: 'J013', items: [ok], receiver: '某馆' }),
    );
    expect(again.code).toBe('TRANSFER_NOTHING');
    expect(again.message).toContain('已列入另一个未完成的移交批次');
    // A clerk may not draw; bad input is named.
    expect((await failure(drawBatch(db(), await as(clerk), { fonds: 'J013', receiver: '某馆' }))).code).toBe(
      'FORBIDDEN',
    );
    expect((await failure(drawBatch(db(), await as(drawer), { fonds: 'J013', receiver: '' }))).code).toBe(
      'TRANSFER_INPUT_INVALID',
    );
    expect((await failure(drawBatch(db(), await as(drawer), { fonds: 'ZZ99', receiver: '某馆' }))).code).toBe(
      'FONDS_NOT_FOUND',
    );
    expect((await failure(showBatch(db(), await as(drawer), 'YJ-J013-2026-999'))).code).toBe(
      'TRANSFER_NOT_FOUND',
    );
    expect((await listBatchesFor(db(), await as(drawer))).map((batch) => batch.code)).toContain(code);
  });

  it('hands its included items to the export job and records the bag', async () => {
    const batch = await batchForExport(db(), SYSTEM, code);
    expect(batch.items.map((entry) => entry.archiveCode)).toEqual([ok, second]);
    // Accepting before the bag is exported is refused.
    const early = await failure(acceptReceipt(db(), await as(drawer), code, receipt(code, [])));
    expect(early.code).toBe('TRANSFER_STATE');
    await inTransaction(db(), (trx) =>
      markExported(trx, code, {
        actor: 'system:transfer',
        digest: DIGEST,
        algorithm: 'sha256',
        payloadOxum: '40.2',
        at: new Date(),
      }),
    );
    expect((await showBatch(db(), SYSTEM, code)).exported).toMatchObject({
      digest: DIGEST,
      payloadOxum: '40.2',
    });
  });

  it('accepts only a genuine receipt for this bag that settles every item', async () => {
    const access = await as(drawer);
    const all = [
      { archiveCode: ok, accepted: true },
      { archiveCode: second, accepted: false, reason: '元数据不完整' },
    ];
    const forged = Buffer.from(receipt(code, all).toString('utf8').replace('南京市档案馆', '北京市档案馆'));
    expect((await failure(acceptReceipt(db(), access, code, forged))).code).toBe('TRANSFER_RECEIPT_INVALID');
    const otherBag = await failure(acceptReceipt(db(), access, code, receipt(code, all, 'cd'.repeat(32))));
    expect(otherBag.message).toContain('摘要');
    const partial = await failure(acceptReceipt(db(), access, code, receipt(code, [all[0] as never])));
    expect(partial.message).toContain('没有列出 1 件');
    const stranger = await failure(
      acceptReceipt(
        db(),
        access,
        code,
        receipt(code, [...all, { archiveCode: 'J013-XX-2019-Y-0001', accepted: true }]),
      ),
    );
    expect(stranger.message).toContain('不在本批次中');

    // Signed by a key other than the receiver's pinned one, or naming another receiver.
    const otherSigner = {
      algorithm: 'ed25519' as const,
      privateKey: otherKeys.privateKey,
      publicKey: otherKeys.publicKey,
    };
    const unpinned = await failure(
      acceptReceipt(db(), access, code, receipt(code, all, DIGEST, { signer: otherSigner })),
    );
    expect(unpinned.code).toBe('TRANSFER_RECEIPT_INVALID');
    const renamed = await failure(
      acceptReceipt(db(), access, code, receipt(code, all, DIGEST, { receiver: '某公司' })),
    );
    expect(renamed.message).toContain('接收单位');
    // Dated before the bag was exported (a back-dated receipt would shorten the read-only period).
    const backDated = await failure(
      acceptReceipt(db(), access, code, receipt(code, all, DIGEST, { at: '1990-01-01T10:00:00+08:00' })),
    );
    expect(backDated.message).toContain('早于本批次移交包的导出时间');
    // Held after the drawing: neither exported nor accepted until the batch is drawn again.
    const hold = await placeHold(db(), SYSTEM, {
      fonds: 'J013',
      items: [ok],
      reason: '稽核取证',
      caseRef: 'AJ-10',
    });
    expect((await failure(acceptReceipt(db(), access, code, receipt(code, all)))).message).toContain(
      '已被冻结',
    );
    expect((await failure(batchForExport(db(), access, code))).code).toBe('TRANSFER_STATE');
    await liftHold(db(), SYSTEM, hold.code, '稽核完毕解除');
    const result = await acceptReceipt(db(), access, code, receipt(code, all));
    expect(result).toMatchObject({ accepted: 1, keepUntil: KEEP_UNTIL, receiver: '南京市档案馆' });
    expect(result.rejected).toEqual([{ archiveCode: second, reason: '元数据不完整' }]);
    // 已移交: read-only; the rejected item is back to normal.
    expect((await item(ok))?.transferred).toMatchObject({ batch: code, keepUntil: KEEP_UNTIL });
    const refused = await failure(
      updateItem(db(), ok, { title: '再改', reason: '试改' }, 'test', { access: SYSTEM }),
    );
    expect(refused.code).toBe('ITEM_TRANSFERRED');
    await updateItem(db(), second, { title: '王建国 零星报销审核表（补全）', reason: '补全元数据' }, 'test', {
      access: SYSTEM,
    });
    expect((await item(second))?.transferred).toBeUndefined();
    // Twice is refused; a transferred item may go on no other batch; an accepted batch stays.
    expect((await failure(acceptReceipt(db(), access, code, receipt(code, all)))).code).toBe(
      'TRANSFER_STATE',
    );
    const transferredAgain = await failure(
      drawBatch(db(), access, { fonds: 'J013', items: [ok], receiver: '某馆' }),
    );
    expect(transferredAgain.message).toContain('已移交');
    expect((await failure(withdrawBatch(db(), access, code, '误操作'))).code).toBe('TRANSFER_STATE');
    const view = await showBatch(db(), access, code);
    expect(view).toMatchObject({ state: 'accepted', counts: { accepted: 1, rejected: 1, refused: 4 } });
  });

  it('renders the 登记表 as XLSX and PDF', async () => {
    const access = await as(drawer);
    const xlsx = await registerForm(db(), access, code, 'xlsx');
    const pdf = await registerForm(db(), access, code, 'pdf');
    expect(xlsx.subarray(0, 2).toString()).toBe('PK');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('draws a person-level batch by the blind index of the ID number alone', async () => {
    const mine = await file({
      idNumber: PERSON,
      year: 2020,
      date: '2020-01-10',
      handledAt: '2020-01-10T10:00:00+08:00',
    });
    const other = await file({ year: 2020, date: '2020-01-10', handledAt: '2020-01-10T10:00:00+08:00' });
    await check(mine);
    await check(other);
    const drawn = await drawBatch(db(), await as(drawer), {
      fonds: 'J013',
      kind: 'person',
      idNumber: PERSON,
      receiver: '苏州市医疗保障局',
    });
    expect(drawn).toMatchObject({ kind: 'person', items: 1, refused: [] });
    const batch = await batchForExport(db(), SYSTEM, drawn.code);
    expect(batch.items.map((entry) => entry.archiveCode)).toEqual([mine]);
    const events = await listEvents(db(), { subject: `transfer:${drawn.code}`, limit: 10 });
    const text = JSON.stringify(events);
    expect(text).not.toContain(PERSON);
    const drawnEvent = events.find((event) => event.action === 'transfer.drawn');
    const payload = JSON.parse(String(drawnEvent?.payload)) as {
      kind: string;
      selector: { person?: string };
    };
    expect(payload.kind).toBe('person');
    expect(payload.selector.person).toMatch(/^\S{16,}$/);
    expect(
      (await failure(drawBatch(db(), await as(drawer), { fonds: 'J013', kind: 'person', receiver: '某局' })))
        .code,
    ).toBe('TRANSFER_INPUT_INVALID');
    // Withdrawn: its item is free again.
    await withdrawBatch(db(), await as(drawer), drawn.code, '参保人暂缓转移');
    const unpinned = await drawBatch(db(), await as(drawer), {
      fonds: 'J013',
      kind: 'person',
      idNumber: PERSON,
      receiver: '苏州市医疗保障局',
    });
    expect(unpinned.items).toBe(1);
    // Drawn without the receiver's key: no 回执 can be recorded for it, whoever signed it.
    await inTransaction(db(), (trx) =>
      markExported(trx, unpinned.code, {
        actor: 'system:transfer',
        digest: DIGEST,
        algorithm: 'sha256',
        payloadOxum: '1.1',
        at: new Date(),
      }),
    );
    const noKey = await failure(
      acceptReceipt(
        db(),
        await as(drawer),
        unpinned.code,
        receipt(unpinned.code, [{ archiveCode: mine, accepted: true }], DIGEST, {
          receiver: '苏州市医疗保障局',
        }),
      ),
    );
    expect(noKey.message).toContain('未指定接收方公钥');
  });

  it('accepts a receipt after an item was edited since the export, at the exported version', async () => {
    const edited = await file();
    await check(edited);
    const access = await as(drawer);
    const drawn = await drawBatch(db(), access, {
      fonds: 'J013',
      items: [edited],
      receiver: '南京市档案馆',
      receiverKey: KEY,
    });
    await inTransaction(db(), (trx) =>
      markExported(trx, drawn.code, {
        actor: 'system:transfer',
        digest: DIGEST,
        algorithm: 'sha256',
        payloadOxum: '20.1',
        at: new Date(),
      }),
    );
    const exportedVersion = (await item(edited))?.version as number;
    await updateItem(db(), edited, { title: '王建国 零星报销审核表（导出后更正）', reason: '更正' }, 'test', {
      access: SYSTEM,
    });
    // The exported bag (cleartext) is removed once the receipt is recorded (G9).
    const bag = bagDirOf(system.home, drawn.code);
    await fsp.mkdir(path.join(bag, 'data'), { recursive: true });
    await fsp.writeFile(path.join(bag, 'data', 'eep.xml'), '明文');
    const result = await acceptReceipt(
      db(),
      access,
      drawn.code,
      receipt(drawn.code, [{ archiveCode: edited, accepted: true }]),
      { home: system.home },
    );
    expect(result.accepted).toBe(1);
    expect(fs.existsSync(bag)).toBe(false);
    expect((await item(edited))?.transferred?.batch).toBe(drawn.code);
    const events = await listEvents(db(), { subject: `transfer:${drawn.code}`, limit: 10 });
    const accepted = events.find((event) => event.action === 'transfer.accepted');
    expect(JSON.parse(String(accepted?.payload)).changedSinceExport).toEqual([
      { archiveCode: edited, exported: exportedVersion, now: exportedVersion + 1 },
    ]);
  });

  it('removes the exported bag when the batch is withdrawn', async () => {
    const one = await file();
    await check(one);
    const access = await as(drawer);
    const drawn = await drawBatch(db(), access, { fonds: 'J013', items: [one], receiver: '南京市档案馆' });
    const bag = bagDirOf(system.home, drawn.code);
    await fsp.mkdir(path.join(bag, 'data'), { recursive: true });
    await fsp.mkdir(`${bag}.new.partial`, { recursive: true });
    await withdrawBatch(db(), access, drawn.code, '接收方未到', { home: system.home });
    expect(fs.existsSync(bag)).toBe(false);
    expect(fs.existsSync(`${bag}.new.partial`)).toBe(false);
  });

  it('is verified against the 已移交 mark: a mark cleared or moved behind the system is found', async () => {
    const verify = () => verifyAll({ db: db(), store: system.store, signingKey: system.signingKey });
    expect((await verify()).problems).toEqual([]);
    const mark = (await item(ok))?.transferred;
    expect(mark?.batch).toBeTruthy();
    const batchAltered = async () =>
      (await verify()).problems.filter(
        (problem) => problem.kind === 'transfer.altered' && problem.record.includes(mark?.batch as string),
      );
    // Cleared: the item would be editable again.
    await sql`update archive_item set transferred_batch = null, transferred_at = null, transfer_keep_until = null
      where archive_code = ${ok}`.execute(db());
    expect(await batchAltered()).toHaveLength(1);
    await sql`update archive_item set transferred_batch = ${mark?.batch}, transferred_at = ${mark?.at},
      transfer_keep_until = ${mark?.keepUntil} where archive_code = ${ok}`.execute(db());
    expect((await verify()).problems).toEqual([]);
    // A shorter keep period.
    await sql`update archive_item set transfer_keep_until = '2027-01-01' where archive_code = ${ok}`.execute(
      db(),
    );
    expect(await batchAltered()).toHaveLength(1);
    await sql`update archive_item set transfer_keep_until = ${mark?.keepUntil} where archive_code = ${ok}`.execute(
      db(),
    );
    expect((await verify()).problems).toEqual([]);
  });

  it('is verified against the log; a batch changed behind the system is found', async () => {
    const clean = await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey });
    expect(clean.problems).toEqual([]);
    await sql`update transfer_item set state = 'accepted' where state = 'rejected'`.execute(db());
    const report = await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey });
    expect(report.problems.map((problem) => problem.kind)).toContain('transfer.altered');
  });

  it('counts years after a date (29 February to 28 February)', () => {
    expect(yearsAfter('2024-02-29', 5)).toBe('2029-02-28');
    expect(yearsAfter('2026-12-07', 5)).toBe('2031-12-07');
  });
});
