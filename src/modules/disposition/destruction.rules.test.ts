import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { createBackup } from '../backup/backup.service.js';
import { updateItem } from '../catalog/item.edit.service.js';
import { findItemsByCodes, listItemVersions } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { REDUCED_BY, REDUCED_REASON } from '../catalog/tombstone.js';
import { markTransferred } from '../catalog/transferred.js';
import { appendEvents } from '../integrity/event-log.js';
import { addFile } from '../storage/file.service.js';
import { verifyAll } from '../verify/verify.service.js';
import { carryOut } from './destruction.carry.js';
import { drawRegister } from './destruction.draw.js';
import { registerState } from './destruction.repo.js';
import { approveRegister, carryOutRegister, signRegister } from './destruction.service.js';
import { showRegister } from './destruction.view.js';

// The register's smaller rules (review F22): approval and a 监销人's signature by one person at the
// same moment cannot both stand; a drawing names refused items by 档号 only and refuses a note for an
// item it does not draw; bytes equal to destroyed ones are refused without naming the register; and
// a tombstone keeps no earlier 修改原因 or 修改人 (a reason may name the person), verify still passing.

let system: TestSystem;
const db = () => system.database.db;
const PASSPHRASE = '档案备份-Correct-Horse-42';
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
const context = () => ({ db: db(), store: system.store, signingKey: system.signingKey });

let drawer: Principal;
let lead: Principal;
let manager: Principal;
let approver: Principal;
let witnessA: Principal;
let witnessB: Principal;
let carrier: Principal;

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  drawer = await account(db(), 'drawer', ['archivist']);
  lead = await account(db(), 'lead', ['reviewer']);
  manager = await account(db(), 'manager', ['manager']);
  approver = await account(db(), 'approver', ['manager']);
  witnessA = await account(db(), 'witness', ['reviewer']);
  witnessB = await account(db(), 'witness', ['archivist']);
  carrier = await account(db(), 'carrier', ['archivist']);
});
afterAll(() => system?.dispose());

const group = () => ({ lead: lead.username, members: [drawer.username] });

async function drawnAndLed(codes: readonly string[]): Promise<string> {
  const round = await roundDeciding(db(), codes, group());
  const { code } = await drawRegister(db(), drawer, { round: round.code });
  await signRegister(db(), lead, code, 'lead');
  return code;
}

describe('approval and a 监销人 signature by one person at once', () => {
  it('lets only one stand: the approval reads the signatures under the register lock', async () => {
    const code = await drawnAndLed([await file()]);
    const { rows } = await sql<{ id: number }>`select id from destruction_register
      where code = ${code}`.execute(db());
    const registerId = Number(rows[0]?.id);
    // The manager's signature as 监销人, given by signing's own steps in another transaction that
    // holds the register until released; the approval starts meanwhile.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const signing = db()
      .transaction()
      .execute(async (trx) => {
        await sql`select id from destruction_register where id = ${registerId} for update`.execute(trx);
        await sql`insert into destruction_signature (register_id, role, username, signed_at)
          values (${registerId}, 'witness', ${manager.username}, now())`.execute(trx);
        await appendEvents(trx, [
          {
            actor: manager.username,
            action: 'destruction.signed',
            subject: `register:${code}`,
            payload: { role: 'witness', signedAt: new Date().toISOString() },
            state: await registerState(trx, registerId),
          },
        ]);
        locked();
        await held;
      });
    await lockTaken;
    const approving = approveRegister(db(), manager, code).then(
      () => null,
      (error: unknown) => error as { code?: string },
    );
    if (system.database.kind === 'postgres') {
      // Wait until the approval waits on the register's lock (it read no signature before it).
      for (let tries = 0; tries < 200; tries += 1) {
        const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_locks
          where not granted`.execute(db());
        if (Number(waiting.rows[0]?.n) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } else await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await signing;
    const refused = await approving;
    expect(refused?.code).toBe('DESTRUCTION_SIGNER');
    const view = await showRegister(db(), drawer, code);
    expect(view.state).toBe('drawn');
    expect(view.signatures.filter((signature) => signature.user === manager.username)).toEqual([
      expect.objectContaining({ role: 'witness' }),
    ]);
  });
});

describe('drawing', () => {
  it('names refused items by 档号, never by internal id', async () => {
    const young = await file({ date: '2024-03-15', handledAt: '2024-03-15T10:00:00+08:00' });
    const round = await roundDeciding(db(), [await file(), young], group());
    const drawn = await drawRegister(db(), drawer, { round: round.code });
    expect(drawn.refused).toEqual([
      { archiveCode: young, reason: 'not_expired', message: expect.stringContaining(young) },
    ]);
    expect(JSON.stringify(drawn)).not.toContain('itemId');
  });

  it('refuses a note for an item it does not draw', async () => {
    const [first, second] = [await file(), await file()];
    const round = await roundDeciding(db(), [first as string, second as string], group());
    const stray = await failure(
      drawRegister(db(), drawer, {
        round: round.code,
        items: [first as string],
        notes: { [second as string]: '随盒' },
      }),
    );
    expect(stray.code).toBe('DESTRUCTION_INPUT_INVALID');
    expect(stray.message).toContain(second as string);
    const unknown = await failure(
      drawRegister(db(), drawer, { round: round.code, notes: { 'J013-不存在': '随盒' } }),
    );
    expect(unknown.code).toBe('DESTRUCTION_INPUT_INVALID');
    const drawn = await drawRegister(db(), drawer, {
      round: round.code,
      items: [first as string],
      notes: { [first as string]: '随盒' },
    });
    expect((await showRegister(db(), drawer, drawn.code)).rows[0]).toMatchObject({ note: '随盒' });
  });
});

describe('a destroyed item', () => {
  const PDF = '%PDF-1.4\n王建国的报销单据\n%%EOF\n';
  let target: string;
  let code: string;

  beforeAll(async () => {
    target = await file({ carrier: 'electronic' });
    await addFile(
      { db: db(), store: system.store, access: SYSTEM },
      target,
      { stream: streamOf(PDF), fileName: '王建国报销单据.pdf' },
      'test',
    );
    // An earlier correction whose reason names the person.
    await updateItem(db(), target, { amount: '99.5', reason: '王建国本人来电更正金额' }, 'test', {
      access: SYSTEM,
    });
    code = await drawnAndLed([target]);
    await approveRegister(db(), approver, code);
    await signRegister(db(), witnessA, code, 'witness');
    await signRegister(db(), witnessB, code, 'witness');
    await carryOutRegister(db(), carrier, code);
    await carryOut(context(), code, carrier.username);
  });

  it('keeps no earlier 修改原因 or 修改人; the versions stay numbered and verify passes', async () => {
    const tombstone = await item(target);
    const versions = await listItemVersions(db(), tombstone?.id as number);
    expect(versions.map((version) => version.version)).toEqual([1, 2]);
    for (const version of versions) {
      expect(JSON.stringify(version)).not.toContain('王建国');
      expect(version.item.changeReason).toBe(REDUCED_REASON);
      expect(version.item.updatedBy).toBe(REDUCED_BY);
    }
    const { rows } = await sql<{ reason: string | null; changed_by: string }>`select reason, changed_by
      from archive_item_version where item_id = ${tombstone?.id as number}`.execute(db());
    expect(rows.map((row) => [row.reason, row.changed_by])).toEqual(
      versions.map(() => [REDUCED_REASON, REDUCED_BY]),
    );
    const report = await verifyAll(context());
    expect(report.problems).toEqual([]);
  });

  it('refuses the same bytes uploaded again without naming the register', async () => {
    const other = await file();
    const again = await failure(
      addFile(
        { db: db(), store: system.store, access: SYSTEM },
        other,
        { stream: streamOf(PDF), fileName: '单据.pdf' },
        'test',
      ),
    );
    expect(again.code).toBe('BLOB_SHREDDED');
    expect(again.message).not.toContain(code);
    expect(again.message).not.toContain('XH-');
  });
});

describe('an item whose copies a replica has not yet deleted', () => {
  it('is 销毁中（待副本确认） on the item and in verify until every replica confirmed; older backups listed', async () => {
    const target = await file({ carrier: 'electronic' });
    const attached = await addFile(
      { db: db(), store: system.store, access: SYSTEM },
      target,
      { stream: streamOf(`%PDF-1.4\n${target}\n%%EOF\n`), fileName: '单据.pdf' },
      'test',
    );
    const code = await drawnAndLed([target]);
    await approveRegister(db(), approver, code);
    await signRegister(db(), witnessA, code, 'witness');
    await signRegister(db(), witnessB, code, 'witness');
    await carryOutRegister(db(), carrier, code);
    // A copy r2 cannot delete (a directory where the blob's file is).
    const copy = directoryReplica(system, 'r2').blobPath(attached.digest) as string;
    fs.rmSync(copy);
    fs.mkdirSync(path.join(copy, 'stuck'), { recursive: true });
    try {
      expect((await failure(carryOut(context(), code, carrier.username))).code).toBe('SHRED_PENDING');
      expect(await item(target)).toMatchObject({ destroyed: { register: code }, destroyedPending: true });
      const during = await verifyAll(context());
      expect(during.problems).toEqual([]);
      expect(during.destroying).toContainEqual({ register: code, items: [target] });
      expect(during.destroyed.some((entry) => entry.register === code)).toBe(false);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    // A backup taken while the copy waits still holds the item and its key: the register lists it.
    const before = path.join(system.home, 'backup-before');
    await createBackup(system, before, PASSPHRASE, '备份员');
    await carryOut(context(), code, carrier.username);
    const after = await item(target);
    expect(after?.destroyed).toMatchObject({ register: code });
    expect(after?.destroyedPending).toBeUndefined();
    const report = await verifyAll(context());
    expect(report.problems).toEqual([]);
    expect(report.destroyed).toContainEqual({ register: code, items: [target] });
    expect(report.destroying).toEqual([]);
    // 须同时销毁或到期的备份: the one taken before the carry-out finished, not one taken after.
    await createBackup(system, path.join(system.home, 'backup-after'), PASSPHRASE, '备份员');
    const view = await showRegister(db(), drawer, code);
    expect(view.olderBackups.map((backup) => backup.dir)).toEqual([before]);
    // A register not carried out yet has none.
    expect((await showRegister(db(), drawer, await drawnAndLed([await file()]))).olderBackups).toEqual([]);
  });
});

describe('transfers (移交)', () => {
  it('refuses an item 已移交 within its keep-until day, and one on an open transfer batch', async () => {
    const [transferred, onBatch, free] = [await file(), await file(), await file()];
    const ids = [(await item(transferred))?.id, (await item(onBatch))?.id];
    // Written as the transfer module leaves them: the catalog's 已移交 mark, and an open batch's row.
    await db()
      .transaction()
      .execute((trx) =>
        markTransferred(trx, SYSTEM, [ids[0] as number], {
          batch: 'YJ-J013-2026-1',
          at: new Date(),
          keepUntil: '2099-12-31',
        }),
      );
    const { rows } = await sql<{ id: number }>`insert into transfer_batch
        (code, fonds_code, year, number, kind, selector, receiver, drawn_by, drawn_at)
      values ('YJ-J013-2026-2', 'J013', 2026, 2, 'fonds', '{}'::jsonb, '市档案馆', 'test', now())
      returning id`.execute(db());
    await sql`insert into transfer_item (batch_id, seq, item_id, archive_code, title, year, retention,
        category, item_version, state)
      values (${Number(rows[0]?.id)}, 1, ${ids[1] as number}, ${onBatch}, '报销审核表', 1990, 'D30', 'JSLX', 1,
        'included')`.execute(db());
    const round = await roundDeciding(db(), [transferred, onBatch, free], group());
    const drawn = await drawRegister(db(), drawer, { round: round.code });
    expect(drawn.items).toBe(1);
    expect(Object.fromEntries(drawn.refused.map((refusal) => [refusal.archiveCode, refusal.reason]))).toEqual(
      {
        [transferred]: 'transferred',
        [onBatch]: 'on_transfer',
      },
    );
    expect(drawn.refused.map((refusal) => refusal.message).join()).toContain('移交');
  });
});
