import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { account, roundDeciding } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import {
  directoryReplica,
  fileOneItem,
  openTestSystem,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import type { Principal } from '../access/principal.js';
import { createFonds } from '../catalog/fonds.service.js';
import { placeHold } from '../catalog/hold.service.js';
import { updateItem } from '../catalog/item.edit.service.js';
import { findItemsByCodes, listItemVersions } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { requestLoan } from '../lending/lending.request.js';
import { addFile, openFile } from '../storage/file.service.js';
import { verifyAll } from '../verify/verify.service.js';
import { carryOut } from './destruction.carry.js';
import { drawRegister } from './destruction.draw.js';
import { confirmPaper } from './destruction.paper.js';
import { approveRegister, carryOutRegister, signRegister, withdrawRegister } from './destruction.service.js';
import { listRegistersFor, showRegister } from './destruction.view.js';

// 销毁清册 on a real database and real replicas: drawing with each refusal and its reason, the
// signatures and who may give them, approval (once, by a manager outside the group), carrying out
// (tombstones, shredded files, search rows gone), paper confirmation, and verify afterwards.

let system: TestSystem;
const db = () => system.database.db;
const EXPIRED = { date: '1990-03-15', handledAt: '1990-03-15T10:00:00+08:00', retention: 'D30' };
let serial = 0;
const file = (overrides: Record<string, unknown> = {}) => {
  serial += 1;
  return fileOneItem(system, {
    ...EXPIRED,
    idNumber: validId(`32011519700101${String(serial).padStart(3, '0')}`),
    title: `王建国 零星报销审核表 ${serial}`,
    ...overrides,
  });
};
const item = async (code: string) => (await findItemsByCodes(db(), [code], scopedQuery(SYSTEM)))[0];

let drawer: Principal;
let lead: Principal;
let member: Principal;
let approver: Principal;
let approver2: Principal;
let witnessA: Principal;
let witnessB: Principal;
let carrier: Principal;
let clerk: Principal;

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  drawer = await account(db(), 'drawer', ['archivist']);
  lead = await account(db(), 'lead', ['reviewer']);
  member = await account(db(), 'member', ['manager']);
  approver = await account(db(), 'approver', ['manager']);
  approver2 = await account(db(), 'approver', ['manager']);
  witnessA = await account(db(), 'witness', ['reviewer']);
  witnessB = await account(db(), 'witness', ['archivist']);
  carrier = await account(db(), 'carrier', ['archivist']);
  clerk = await account(db(), 'clerk', ['clerk']);
});
afterAll(() => system?.dispose());

const group = () => ({ lead: lead.username, members: [drawer.username, member.username] });

describe('drawing a register', () => {
  it('lists each refused item with its reason and draws the rest', async () => {
    const ok = await file();
    const permanent = await file({ retention: 'Y' });
    const young = await file({ date: '2024-03-15', handledAt: '2024-03-15T10:00:00+08:00' });
    const held = await file();
    const lent = await file();
    const changed = await file();
    const round = await roundDeciding(db(), [ok, permanent, young, held, lent, changed], group());
    await placeHold(db(), SYSTEM, {
      fonds: 'J013',
      items: [held],
      reason: '医保基金稽核案件取证',
      caseRef: 'AJ-1',
    });
    await requestLoan(db(), clerk, { kind: 'electronic', items: [lent], purpose: '核对报销凭证', days: 5 });
    await updateItem(db(), changed, { title: '改过的题名', reason: '更正题名' }, 'test', { access: SYSTEM });

    const drawn = await drawRegister(db(), drawer, { round: round.code });
    expect(drawn.code).toMatch(/^XH-J013-\d{4}-\d+$/);
    expect(drawn.items).toBe(1);
    const reasons = Object.fromEntries(drawn.refused.map((refusal) => [refusal.archiveCode, refusal.reason]));
    expect(reasons).toEqual({
      [permanent]: 'permanent',
      [young]: 'not_expired',
      [held]: 'held',
      [lent]: 'on_loan',
      [changed]: 'changed',
    });
    // Already on this (open) register: a second draw from the round refuses it too.
    const again = await failure(drawRegister(db(), drawer, { round: round.code, items: [ok] }));
    expect(again.code).toBe('DESTRUCTION_REFUSED');
    expect(again.message).toContain('已列入另一份未完成的销毁清册');
    const view = await showRegister(db(), drawer, drawn.code);
    expect(view).toMatchObject({ fonds: 'J013', round: round.code, state: 'drawn', count: 1 });
    // 题名 as the register shows it: the person's name masked.
    expect(view.rows[0]).toMatchObject({
      seq: 1,
      archiveCode: ok,
      year: 1990,
      retention: 'D30',
      keepYears: 30,
    });
    expect(view.rows[0]?.title).not.toContain('王建国');
    expect(view.rows[0]?.keptYears).toBeGreaterThanOrEqual(15);
  });

  it('refuses bad input and people without the duty', async () => {
    expect((await failure(drawRegister(db(), drawer, { round: 'JD-J013-2026-999' }))).code).toBe(
      'DESTRUCTION_ROUND_NOT_FOUND',
    );
    expect((await failure(drawRegister(db(), clerk, { round: 'JD-J013-2026-1' }))).code).toBe('FORBIDDEN');
    const round = await roundDeciding(db(), [await file()], group());
    expect((await failure(drawRegister(db(), drawer, { round: round.code, items: ['J013-X'] }))).code).toBe(
      'DESTRUCTION_INPUT_INVALID',
    );
    expect((await failure(showRegister(db(), drawer, 'XH-J013-2026-9999'))).code).toBe(
      'DESTRUCTION_NOT_FOUND',
    );
    expect((await failure(showRegister(db(), clerk, 'XH-J013-2026-1'))).code).toBe('FORBIDDEN');
  });
});

describe('signatures, approval and carrying out', () => {
  let electronic: string;
  let paper: string;
  let code: string;

  it('takes the lead, the approver and two 监销人 with the rules of each', async () => {
    electronic = await file({ carrier: 'electronic' });
    await addFile(
      { db: db(), store: system.store, access: SYSTEM },
      electronic,
      { stream: streamOf('%PDF-1.4\n王建国 报销单据\n%%EOF\n'), fileName: '报销单据.pdf' },
      'test',
    );
    paper = await file({
      carrier: 'paper',
      paperLocation: { warehouse: '一号库', cabinet: '1', shelf: '1', box: '1' },
    });
    const round = await roundDeciding(db(), [electronic, paper], group());
    ({ code } = await drawRegister(db(), drawer, { round: round.code, notes: { [paper]: '纸质原件两页' } }));

    // Not approved yet: no carrying out.
    expect((await failure(carryOutRegister(db(), carrier, code))).message).toContain('尚未批准');
    // Only the round's lead signs as lead; approval waits for that signature.
    expect((await failure(signRegister(db(), member, code, 'lead'))).code).toBe('DESTRUCTION_SIGNER');
    expect((await failure(approveRegister(db(), approver, code))).message).toContain('组长签字');
    await signRegister(db(), lead, code, 'lead');
    // A member of the appraisal group may not approve; nor may one without the duty.
    expect((await failure(approveRegister(db(), member, code))).message).toContain('鉴定组成员');
    expect((await failure(approveRegister(db(), carrier, code))).code).toBe('FORBIDDEN');
    // Two managers approve at the same moment: one wins, the other is told it is approved already.
    const results = await Promise.allSettled([
      approveRegister(db(), approver, code),
      approveRegister(db(), approver2, code),
    ]);
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason.code).toBe('DESTRUCTION_APPROVED_TWICE');
    const winner = (await showRegister(db(), drawer, code)).approvedBy as string;
    const winnerPrincipal = winner === approver.username ? approver : approver2;
    // …and approving again later says the same.
    const twice = await failure(approveRegister(db(), winnerPrincipal, code));
    expect(twice.code).toBe('DESTRUCTION_APPROVED_TWICE');
    expect(twice.message).toContain(winner);

    // 监销人: not the one who drew it, not the one who approved it; two distinct are needed.
    expect((await failure(signRegister(db(), drawer, code, 'witness'))).message).toContain('编制');
    expect((await failure(signRegister(db(), winnerPrincipal, code, 'witness'))).message).toContain('审批');
    await signRegister(db(), witnessA, code, 'witness');
    expect((await failure(signRegister(db(), witnessA, code, 'witness'))).code).toBe('DESTRUCTION_SIGNER');
    expect((await failure(carryOutRegister(db(), carrier, code))).code).toBe('DESTRUCTION_WITNESSES');
    await signRegister(db(), witnessB, code, 'witness');
    expect((await failure(carryOutRegister(db(), witnessA, code))).code).toBe('FORBIDDEN');

    const view = await showRegister(db(), drawer, code);
    expect(view.signatures.map((signature) => signature.role).sort()).toEqual([
      'approver',
      'lead',
      'witness',
      'witness',
    ]);
    expect(view.state).toBe('approved');
  });

  it('carries it out: tombstones, unreadable files, no search rows, then paper confirmed', async () => {
    await carryOutRegister(db(), carrier, code);
    expect((await failure(carryOutRegister(db(), carrier, code))).code).toBe('DESTRUCTION_STATE');
    const before = await item(electronic);
    expect(before?.name).toBe('王建国');
    const outcome = await carryOut(
      { db: db(), store: system.store, signingKey: system.signingKey },
      code,
      carrier.username,
    );
    expect(outcome).toMatchObject({ destroyed: 1, waiting: 0, paperPending: 1, total: 2, completed: false });
    // Paper first: its catalog entry, and where the box lies, stay until the paper is destroyed.
    expect(await item(paper)).toMatchObject({ name: '王建国', paperLocation: { warehouse: '一号库' } });
    const midway = await showRegister(db(), drawer, code);
    expect(midway.rows.find((row) => row.archiveCode === paper)).toMatchObject({
      state: 'paper_pending',
      paperLocation: '一号库/1/1/1',
    });
    // Verify passes while the carry-out waits for the paper: no row change reads as tampering.
    const during = await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey });
    expect(during.problems).toEqual([]);

    const tombstone = await item(electronic);
    expect(tombstone).toMatchObject({
      archiveCode: electronic,
      year: 1990,
      retention: 'D30',
      name: null,
      idNumber: null,
      insuredNumber: null,
      amount: null,
      handler: null,
      extra: {},
    });
    expect(tombstone?.title).not.toContain('王建国');
    expect(tombstone?.changeReason).toContain(code);
    expect(tombstone?.destroyed).toMatchObject({ register: code });
    expect(before?.destroyed).toBeUndefined();
    for (const version of await listItemVersions(db(), tombstone?.id as number)) {
      expect(version.item.name).toBeNull();
      expect(version.item.idNumber).toBeNull();
    }
    const read = await failure(
      openFile({ db: db(), store: system.store, access: SYSTEM }, electronic, 1, 'test'),
    );
    expect(read.message).toContain(code);
    const docs = await db()
      .selectFrom('search_doc')
      .select('item_id')
      .where('item_id', '=', tombstone?.id as number)
      .execute();
    expect(docs).toHaveLength(0);
    // A tombstone takes no change and no file.
    expect(
      (
        await failure(
          updateItem(db(), electronic, { title: '恢复', reason: '试图恢复' }, 'test', { access: SYSTEM }),
        )
      ).code,
    ).toBe('ITEM_DESTROYED');
    const attach = addFile(
      { db: db(), store: system.store, access: SYSTEM },
      electronic,
      { stream: streamOf('%PDF-1.4\n%%EOF\n'), fileName: 'x.pdf' },
      'test',
    );
    expect((await failure(attach)).code).toBe('ITEM_DESTROYED');
    // Carrying out again does nothing more (each row once).
    const again = await carryOut(
      { db: db(), store: system.store, signingKey: system.signingKey },
      code,
      carrier.username,
    );
    expect(again.destroyed).toBe(1);
    expect(
      await db()
        .selectFrom('integrity_event')
        .select('seq')
        .where('action', '=', 'item.destroyed')
        .where('subject', '=', `item:${electronic}`)
        .execute(),
    ).toHaveLength(1);

    const paperInput = {
      archiveCode: paper,
      method: '粉碎',
      place: '局机关档案室',
      at: new Date().toISOString(),
      witnesses: [witnessA.username, witnessB.username],
    };
    expect(
      (await failure(confirmPaper(db(), carrier, code, { ...paperInput, archiveCode: electronic }))).code,
    ).toBe('DESTRUCTION_INPUT_INVALID');
    expect(
      (
        await failure(
          confirmPaper(db(), carrier, code, {
            ...paperInput,
            witnesses: [witnessA.username, drawer.username],
          }),
        )
      ).code,
    ).toBe('DESTRUCTION_SIGNER');
    expect((await failure(confirmPaper(db(), carrier, code, { ...paperInput, method: '丢弃' }))).code).toBe(
      'DESTRUCTION_INPUT_INVALID',
    );
    await confirmPaper(db(), carrier, code, paperInput);
    expect((await failure(confirmPaper(db(), carrier, code, paperInput))).code).toBe('DESTRUCTION_STATE');
    expect((await listRegistersFor(db(), drawer)).map((brief) => brief.code)).toContain(code);
    // The confirmation queued the job that destroys the paper item's entry and files the register; run it.
    const queued = await db()
      .selectFrom('job')
      .select(['kind', 'state'])
      .where('idempotency_key', '=', code)
      .execute();
    expect(queued).toContainEqual({ kind: 'destruction.carry', state: 'queued' });
    await carryOut({ db: db(), store: system.store, signingKey: system.signingKey }, code, carrier.username);
    const filed = await showRegister(db(), drawer, code);
    expect(filed.state).toBe('filed');
    expect(filed.rows.find((row) => row.archiveCode === paper)).toMatchObject({
      state: 'paper_confirmed',
      paper: { method: '粉碎', confirmedBy: carrier.username },
    });
    expect(await item(paper)).toMatchObject({ name: null, paperLocation: null });
    const archive = await item(filed.filed?.archiveCode as string);
    expect(archive).toMatchObject({ category: 'XHQC', retention: 'Y', fonds: 'J013', carrier: 'electronic' });
    expect(archive?.title).toContain(code);
    const storage = { db: db(), store: system.store, access: SYSTEM };
    const opened = await openFile(storage, archive?.archiveCode as string, 2, 'test');
    expect(opened.file.fileName).toBe(`销毁清册-${code}.pdf`);
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).subarray(0, 5).toString()).toBe('%PDF-');
    const event = await db()
      .selectFrom('integrity_event')
      .select('payload')
      .where('action', '=', 'destruction.filed')
      .where('subject', '=', `register:${code}`)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(event.payload)).toMatchObject({
      archiveCode: archive?.archiveCode,
      digest: filed.filed?.digest,
    });
  });

  it('verify passes and names the items destroyed under the register', async () => {
    const report = await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey });
    expect(report.problems).toEqual([]);
    expect(report.destroyed).toContainEqual({ register: code, items: [electronic, paper].sort() });
  });
});

describe('a register whose items changed after it was drawn', () => {
  it('must be drawn again', async () => {
    const target = await file();
    const round = await roundDeciding(db(), [target], group());
    const { code } = await drawRegister(db(), drawer, { round: round.code });
    await signRegister(db(), lead, code, 'lead');
    await approveRegister(db(), approver, code);
    await signRegister(db(), witnessA, code, 'witness');
    await signRegister(db(), witnessB, code, 'witness');
    await updateItem(db(), target, { retention: 'D50', reason: '鉴定后延长保管期限' }, 'test', {
      access: SYSTEM,
    });
    const refused = await failure(carryOutRegister(db(), carrier, code));
    expect(refused.code).toBe('DESTRUCTION_REDRAW');
    expect(refused.message).toContain(target);
    expect((await item(target))?.name).toBe('王建国');
  });
});

describe('a replica away during carrying out', () => {
  const context = () => ({ db: db(), store: system.store, signingKey: system.signingKey });

  async function approvedRegister(): Promise<{ code: string; target: string; digest: string }> {
    const target = await file({ carrier: 'electronic' });
    const attached = await addFile(
      { db: db(), store: system.store, access: SYSTEM },
      target,
      { stream: streamOf(`%PDF-1.4\n${target}\n%%EOF\n`), fileName: '单据.pdf' },
      'test',
    );
    const round = await roundDeciding(db(), [target], group());
    const { code } = await drawRegister(db(), drawer, { round: round.code });
    await signRegister(db(), lead, code, 'lead');
    await approveRegister(db(), approver, code);
    await signRegister(db(), witnessA, code, 'witness');
    await signRegister(db(), witnessB, code, 'witness');
    await carryOutRegister(db(), carrier, code);
    return { code, target, digest: attached.digest };
  }

  it('destroys nothing while a replica cannot take the shred record, and goes on when it is back', async () => {
    const { code, target } = await approvedRegister();
    const r2 = directoryReplica(system, 'r2').root;
    fs.renameSync(r2, `${r2}.away`);
    try {
      const refused = await failure(carryOut(context(), code, carrier.username));
      expect(refused.code).toBe('REPLICA_UNAVAILABLE');
    } finally {
      fs.renameSync(`${r2}.away`, r2);
    }
    expect((await item(target))?.name).toBe('王建国');
    expect((await showRegister(db(), drawer, code)).progress).toMatchObject({ destroyed: 0, total: 1 });
    expect(await carryOut(context(), code, carrier.username)).toMatchObject({
      destroyed: 1,
      completed: true,
    });
  });

  it('does not count an item destroyed until every replica deleted its copy', async () => {
    const { code, target, digest } = await approvedRegister();
    // A copy r2 cannot delete (a directory where the blob's file is).
    const copy = directoryReplica(system, 'r2').blobPath(digest) as string;
    fs.rmSync(copy);
    fs.mkdirSync(path.join(copy, 'stuck'), { recursive: true });
    try {
      const pending = await failure(carryOut(context(), code, carrier.username));
      expect(pending.code).toBe('SHRED_PENDING');
      const view = await showRegister(db(), drawer, code);
      expect(view.progress).toMatchObject({ destroyed: 0, waitingReplicas: 1, total: 1 });
      expect(view.rows[0]).toMatchObject({ state: 'shredding', stateLabel: '销毁中（待副本确认）' });
      expect(view.state).toBe('carrying');
      // The key is gone already: the file cannot be read from any replica.
      expect(
        (await failure(openFile({ db: db(), store: system.store, access: SYSTEM }, target, 1, 'test'))).code,
      ).toBe('BLOB_SHREDDED');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    const done = await carryOut(context(), code, carrier.username);
    expect(done).toMatchObject({ destroyed: 1, waiting: 0, completed: true });
    expect((await showRegister(db(), drawer, code)).state).toBe('filed');
    const report = await verifyAll(context());
    expect(report.problems).toEqual([]);
  });
});

describe('a server clock set back', () => {
  it('still finds expired items expired and young ones not: the database clock decides', async () => {
    const expired = await file();
    const young = await file({ date: '2024-03-15', handledAt: '2024-03-15T10:00:00+08:00' });
    const round = await roundDeciding(db(), [expired, young], group());
    // The server's clock says 2015: by it the 1990 D30 item (due 2021-01-01) would not be due yet.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2015-06-01T00:00:00Z') });
    try {
      const drawn = await drawRegister(db(), drawer, { round: round.code });
      expect(drawn.items).toBe(1);
      expect(drawn.refused.map((refusal) => [refusal.archiveCode, refusal.reason])).toEqual([
        [young, 'not_expired'],
      ]);
      expect(drawn.code).toMatch(/^XH-J013-2026-/);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('what happens after a register was started', () => {
  it('keeps an item put on hold, one with a new file, and one withdrawn from nothing: each row says why', async () => {
    const [plain, later, attached] = [await file(), await file(), await file()];
    const round = await roundDeciding(db(), [plain, later, attached], group());
    const { code } = await drawRegister(db(), drawer, { round: round.code });
    await signRegister(db(), lead, code, 'lead');
    await approveRegister(db(), approver, code);
    await signRegister(db(), witnessA, code, 'witness');
    await signRegister(db(), witnessB, code, 'witness');
    await carryOutRegister(db(), carrier, code);
    // After the start: a hold on one item, a new file on another.
    await placeHold(db(), SYSTEM, { fonds: 'J013', items: [later], reason: '稽核案件新线索取证' });
    await addFile(
      { db: db(), store: system.store, access: SYSTEM },
      attached,
      { stream: streamOf(`%PDF-1.4\n${attached} 新证据\n%%EOF\n`), fileName: '新证据.pdf' },
      'test',
    );
    const outcome = await carryOut(
      { db: db(), store: system.store, signingKey: system.signingKey },
      code,
      carrier.username,
    );
    expect(outcome).toMatchObject({ destroyed: 1, total: 3, completed: true });
    const view = await showRegister(db(), drawer, code);
    expect(view.state).toBe('filed');
    expect(view.progress.refused).toBe(2);
    expect(view.rows.find((row) => row.archiveCode === later)).toMatchObject({
      state: 'refused',
      refusal: '已被冻结',
    });
    expect(view.rows.find((row) => row.archiveCode === attached)?.refusal).toContain('文件已变更');
    expect((await item(later))?.name).toBe('王建国');
    expect((await item(attached))?.name).toBe('王建国');
    expect((await item(plain))?.name).toBeNull();
    const refusals = await db()
      .selectFrom('integrity_event')
      .select('payload')
      .where('action', '=', 'destruction.item_refused')
      .where('subject', '=', `register:${code}`)
      .execute();
    expect(refusals).toHaveLength(2);
    expect(
      (await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey })).problems,
    ).toEqual([]);
  });

  it('withdraws a register that must be redrawn, and its items can be drawn again', async () => {
    const target = await file();
    const first = await roundDeciding(db(), [target], group());
    const { code } = await drawRegister(db(), drawer, { round: first.code });
    expect((await failure(withdrawRegister(db(), drawer, code, '短'))).code).toBe(
      'DESTRUCTION_INPUT_INVALID',
    );
    expect((await failure(withdrawRegister(db(), clerk, code, '题名有误须重新编制'))).code).toBe('FORBIDDEN');
    await withdrawRegister(db(), drawer, code, '题名有误须重新编制');
    expect(await showRegister(db(), drawer, code)).toMatchObject({
      state: 'withdrawn',
      withdrawn: { by: drawer.username, reason: '题名有误须重新编制' },
    });
    expect((await failure(approveRegister(db(), approver, code))).code).toBe('DESTRUCTION_STATE');
    const second = await roundDeciding(db(), [target], group());
    expect((await drawRegister(db(), drawer, { round: second.code })).items).toBe(1);
  });

  it('answers a round of another fonds exactly as a round never opened', async () => {
    await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
    const theirs = await file({ fonds: 'J014', poolingRegion: '320116' });
    const round = await roundDeciding(db(), [theirs], group(), 'J014');
    const narrow = await account(
      db(),
      'narrow',
      ['archivist'],
      [{ fondsCode: 'J013', regionCode: null, categoryCode: null }],
    );
    const missing = round.code.replace(/\d+$/, '999');
    for (const input of [{}, { items: ['J014-猜测'] }, { items: [theirs] }]) {
      const outside = await failure(drawRegister(db(), narrow, { round: round.code, ...input }));
      const never = await failure(drawRegister(db(), narrow, { round: missing, ...input }));
      expect(outside.code).toBe('DESTRUCTION_ROUND_NOT_FOUND');
      expect(outside.message.replace(round.code, '<>')).toBe(never.message.replace(missing, '<>'));
    }
  });
});
