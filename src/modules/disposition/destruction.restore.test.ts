import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropEmptyDatabases, freshDatabaseUrl } from '../../../test/helpers/database.js';
import { account, roundDeciding } from '../../../test/helpers/destruction.js';
import { replicaRoot } from '../../../test/helpers/file-service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import {
  directoryReplica,
  fileOneItem,
  openTestSystem,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import { loadConfig } from '../../config/config.js';
import type { Db } from '../../db/database.js';
import { openSystem } from '../../system/system.js';
import type { Principal } from '../access/principal.js';
import { createBackup } from '../backup/backup.service.js';
import { restoreBackup } from '../backup/restore.service.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { addFile } from '../storage/file.service.js';
import { verifyAll } from '../verify/verify.service.js';
import { carryOut } from './destruction.carry.js';
import { drawRegister } from './destruction.draw.js';
import { confirmPaper } from './destruction.paper.js';
import { approveRegister, carryOutRegister, signRegister } from './destruction.service.js';

// Restore never resurrects, whatever the item (review F2, F10, F17): a paper item and an item with no
// file leave no blob record, yet a backup taken before their destruction, restored after it, brings
// them back as tombstones — from each item's own signed record on the replicas — the register's
// number stays issued, and a backup taken in the middle of a carry-out restores to a register that
// finishes. Through the real carry-out (draw, sign, approve, carry, confirm the paper).

const PASSPHRASE = '档案备份-Correct-Horse-42';
const EXPIRED = { date: '1990-03-15', handledAt: '1990-03-15T10:00:00+08:00', retention: 'D30' };
const dirs: string[] = [];
let system: TestSystem;
const db = () => system.database.db;
const context = () => ({ db: db(), store: system.store, signingKey: system.signingKey });
const people: Record<string, Principal> = {};
/** The backup taken before the first register's carry-out (reused by the replica-away test). */
let before = '';
let serial = 0;

const person = () => {
  serial += 1;
  return validId(`32011519700101${String(600 + serial).padStart(3, '0')}`);
};
const paperItem = () =>
  fileOneItem(system, {
    ...EXPIRED,
    carrier: 'paper',
    idNumber: person(),
    title: '王建国 纸质报销单',
    paperLocation: { warehouse: '一号库', cabinet: '2', shelf: '3', box: '4' },
  });
const bareItem = () =>
  fileOneItem(system, {
    ...EXPIRED,
    carrier: 'electronic',
    idNumber: person(),
    title: '王建国 电子登记（无文件）',
  });
async function electronicItem(): Promise<string> {
  const code = await fileOneItem(system, {
    ...EXPIRED,
    carrier: 'electronic',
    idNumber: person(),
    title: '王建国 电子报销单',
  });
  await addFile(
    { db: db(), store: system.store, access: SYSTEM },
    code,
    { stream: streamOf(`%PDF-1.4\n${code} 王建国\n%%EOF\n`), fileName: '王建国报销单.pdf' },
    'test',
  );
  return code;
}

/** Drawn, signed, approved and started: ready for the carry-out job. */
async function startedRegister(codes: string[]): Promise<string> {
  const round = await roundDeciding(db(), codes, {
    lead: people.lead?.username as string,
    members: [people.drawer?.username as string],
  });
  const { code } = await drawRegister(db(), people.drawer as Principal, { round: round.code });
  await signRegister(db(), people.lead as Principal, code, 'lead');
  await approveRegister(db(), people.approver as Principal, code);
  await signRegister(db(), people.witness_a as Principal, code, 'witness');
  await signRegister(db(), people.witness_b as Principal, code, 'witness');
  await carryOutRegister(db(), people.drawer as Principal, code);
  return code;
}

const confirmPaperOf = (code: string, archiveCode: string) =>
  confirmPaper(db(), people.drawer as Principal, code, {
    archiveCode,
    method: '粉碎',
    place: '局机关档案室',
    at: new Date().toISOString(),
    witnesses: [people.witness_a?.username as string, people.witness_b?.username as string],
  });

async function backup(name: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-r1-backups-'));
  dirs.push(work);
  const dir = path.join(work, name);
  await createBackup(system, dir, PASSPHRASE, '备份员');
  return dir;
}

async function restoredConfig(replicas?: string) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-r1-restored-'));
  dirs.push(home);
  fs.rmSync(home, { recursive: true });
  const url = await freshDatabaseUrl();
  return loadConfig(
    {
      YIDANG_HOME: home,
      YIDANG_REPLICAS: replicas ?? `r1=${replicaRoot(system, 'r1')},r2=${replicaRoot(system, 'r2')}`,
      ...(url ? { DATABASE_URL: url } : {}),
    },
    home,
  );
}

const itemsOf = (database: Db, codes: string[]) => findItemsByCodes(database, codes, scopedQuery(SYSTEM));

beforeAll(async () => {
  system = await openTestSystem();
  for (const [name, role] of [
    ['drawer', 'archivist'],
    ['lead', 'reviewer'],
    ['approver', 'manager'],
    ['witness_a', 'reviewer'],
    ['witness_b', 'archivist'],
  ] as const)
    people[name] = await account(db(), name, [role]);
});
afterAll(async () => {
  await system?.dispose();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  await dropEmptyDatabases();
});

describe('a backup taken before a destruction of paper and file-less items, restored after it', () => {
  it('brings them back as tombstones of the register, with nothing personal left, and keeps its number issued', async () => {
    const paper = await paperItem();
    const bare = await bareItem();
    const electronic = await electronicItem();
    before = await backup('before');
    const code = await startedRegister([paper, bare, electronic]);
    expect(await carryOut(context(), code, 'test')).toMatchObject({ paperPending: 1, completed: false });
    await confirmPaperOf(code, paper);
    expect(await carryOut(context(), code, 'test')).toMatchObject({ destroyed: 3, completed: true });
    const original = new Map(
      (await itemsOf(db(), [paper, bare, electronic])).map((item) => [item.archiveCode, item]),
    );
    expect([...original.values()].map((item) => item.destroyed?.register)).toEqual([code, code, code]);
    // Each item's own record sits final on both replicas, and the register's summary too.
    for (const replica of ['r1', 'r2']) {
      const items = fs.readdirSync(path.join(replicaRoot(system, replica), 'shredded', 'items'));
      for (const archiveCode of [paper, bare, electronic])
        expect(items).toContain(`${crypto.createHash('sha256').update(archiveCode).digest('hex')}.json`);
      expect(fs.readdirSync(path.join(replicaRoot(system, replica), 'shredded', 'registers'))).toContain(
        `${crypto.createHash('sha256').update(code).digest('hex')}.json`,
      );
    }
    expect((await verifyAll(context())).problems).toEqual([]);

    const config = await restoredConfig();
    const report = await restoreBackup(config, before, PASSPHRASE);
    expect(report.verify.problems).toEqual([]);
    expect([...report.shreds.items].sort()).toEqual([paper, bare, electronic].sort());
    expect(report.shreds.refused).toEqual([]);
    expect(report.shreds.registersOnlyInRecords).toEqual([code]);
    const restored = await openSystem(config);
    try {
      const rdb = restored.database.db;
      const back = await itemsOf(rdb, [paper, bare, electronic]);
      expect(back).toHaveLength(3);
      for (const item of back) {
        expect(item.destroyed).toMatchObject({ register: code });
        // The digest the carry-out took and the register's masked title, not the backup's own.
        expect(item.destroyed?.digest).toBe(original.get(item.archiveCode)?.destroyed?.digest);
        expect(item.title).toBe(original.get(item.archiveCode)?.title);
        expect(item).toMatchObject({
          name: null,
          idNumber: null,
          paperLocation: null,
          amount: null,
          extra: {},
        });
      }
      // Nothing personal anywhere in the restored rows of these items: versions, files, search.
      const ids = back.map((item) => item.id);
      const versions = await rdb
        .selectFrom('archive_item_version')
        .select('snapshot')
        .where('item_id', 'in', ids)
        .execute();
      expect(versions.length).toBeGreaterThan(0);
      for (const version of versions) expect(JSON.stringify(version.snapshot)).not.toContain('王建国');
      const names = await rdb
        .selectFrom('item_file')
        .select('file_name')
        .where('item_id', 'in', ids)
        .execute();
      for (const row of names) expect(row.file_name).not.toContain('王建国');
      expect(
        await rdb.selectFrom('search_doc').select('item_id').where('item_id', 'in', ids).execute(),
      ).toEqual([]);
      // The register's number stays issued, and the log says the register exists only as the record.
      const sequence = await rdb
        .selectFrom('destruction_sequence')
        .select('last_number')
        .where('fonds_code', '=', 'J013')
        .executeTakeFirstOrThrow();
      expect(sequence.last_number).toBeGreaterThanOrEqual(Number(code.split('-').at(-1)));
      const recovered = await rdb
        .selectFrom('integrity_event')
        .select('payload')
        .where('action', '=', 'destruction.recovered')
        .where('subject', '=', `register:${code}`)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(recovered.payload)).toMatchObject({ fonds: 'J013', items: 3 });
      const again = await verifyAll({ db: rdb, store: restored.store, signingKey: restored.signingKey });
      expect(again.problems).toEqual([]);
    } finally {
      await restored.close();
    }
  });
});

describe('a replica whose records cannot be read (review F7)', () => {
  it('is an error, never "no records": an unmounted share, an unreadable directory', async () => {
    const replica = directoryReplica(system, 'r1');
    const blobs = path.join(replica.root, 'blobs');
    fs.renameSync(blobs, `${blobs}.away`);
    try {
      expect((await failure(replica.readShredRecords())).code).toBe('REPLICA_UNAVAILABLE');
    } finally {
      fs.renameSync(`${blobs}.away`, blobs);
    }
    // A listing that fails (here: not a directory) is not an empty one.
    const registers = path.join(replica.root, 'shredded', 'registers');
    fs.renameSync(registers, `${registers}.away`);
    fs.writeFileSync(registers, 'x');
    try {
      expect((await failure(replica.readShredRecords())).code).toBe('REPLICA_UNAVAILABLE');
    } finally {
      fs.rmSync(registers);
      fs.renameSync(`${registers}.away`, registers);
    }
    expect((await replica.readShredRecords()).length).toBeGreaterThan(0);
  });

  it('stops a restore before anything is written, and the retry with the replica back succeeds', async () => {
    expect(before).not.toBe('');
    // r2 is an empty mount point (the share not mounted): the restore must not read it as "no records".
    const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-r1-unmounted-'));
    dirs.push(mountPoint);
    const away = await restoredConfig(`r1=${replicaRoot(system, 'r1')},r2=${mountPoint}`);
    const refused = await failure(restoreBackup(away, before, PASSPHRASE));
    expect(refused.code).toBe('REPLICA_UNAVAILABLE');
    expect(refused.message).toContain('r2');
    expect(fs.existsSync(away.home)).toBe(false);
    expect(fs.readdirSync(mountPoint)).toEqual([]);
    const config = await restoredConfig();
    const report = await restoreBackup(config, before, PASSPHRASE);
    expect(report.verify.problems).toEqual([]);
    expect(report.shreds.items.length).toBeGreaterThanOrEqual(3);
  });
});

describe("verify and the replicas' records (review F7)", () => {
  it('names a destroyed item or a register whose record a replica lost', async () => {
    const tombstone = await db()
      .selectFrom('archive_item')
      .select('archive_code')
      .where('destroyed_register', 'is not', null)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const hex = crypto.createHash('sha256').update(tombstone.archive_code).digest('hex');
    const record = path.join(replicaRoot(system, 'r2'), 'shredded', 'items', `${hex}.json`);
    const kept = fs.readFileSync(record);
    fs.rmSync(record);
    try {
      const report = await verifyAll(context());
      expect(report.problems).toEqual([
        expect.objectContaining({ kind: 'record.missing', record: `档案 ${tombstone.archive_code}` }),
      ]);
      expect(report.problems[0]?.message).toContain('r2');
    } finally {
      fs.writeFileSync(record, kept);
    }
    expect((await verifyAll(context())).problems).toEqual([]);
  });
});

describe('a backup taken in the middle of a carry-out, restored', () => {
  it('finishes the restored register: a row destroyed after the backup counts as done', async () => {
    const first = await electronicItem();
    const second = await bareItem();
    const code = await startedRegister([first, second]);
    // The second row cannot be written on r2 yet (a directory where its record goes): the carry-out
    // destroys the first row and stops; the backup is taken there.
    const hex = crypto.createHash('sha256').update(second).digest('hex');
    const blocker = path.join(replicaRoot(system, 'r2'), 'shredded', 'items', `${hex}.json`);
    fs.mkdirSync(path.join(blocker, 'x'), { recursive: true });
    try {
      expect((await carryOut(context(), code, 'test').catch((error) => error)).code).toBe(
        'REPLICA_UNAVAILABLE',
      );
    } finally {
      fs.rmSync(blocker, { recursive: true, force: true });
    }
    const [firstNow] = await itemsOf(db(), [first]);
    const [secondNow] = await itemsOf(db(), [second]);
    expect(firstNow?.destroyed).toMatchObject({ register: code });
    expect(secondNow?.destroyed).toBeUndefined();
    const midway = await backup('midway');
    expect(await carryOut(context(), code, 'test')).toMatchObject({ destroyed: 2, completed: true });

    const config = await restoredConfig();
    const report = await restoreBackup(config, midway, PASSPHRASE);
    expect(report.verify.problems).toEqual([]);
    expect(report.shreds.items).toEqual([second]);
    const restored = await openSystem(config);
    try {
      const rdb = restored.database.db;
      const register = () =>
        rdb
          .selectFrom('destruction_register')
          .select('state')
          .where('code', '=', code)
          .executeTakeFirstOrThrow();
      expect((await register()).state).toBe('carrying');
      // The restored job runs to the end (before the fix: ITEM_DESTROYED on the second row, for ever).
      const outcome = await carryOut(
        { db: rdb, store: restored.store, signingKey: restored.signingKey },
        code,
        'test',
      );
      expect(outcome).toMatchObject({ destroyed: 2, total: 2, completed: true });
      expect((await register()).state).toBe('filed');
      const rows = await rdb
        .selectFrom('destruction_row as r')
        .innerJoin('destruction_register as g', 'g.id', 'r.register_id')
        .select(['r.archive_code', 'r.state', 'r.destroyed_digest'])
        .where('g.code', '=', code)
        .orderBy('r.seq')
        .execute();
      const [secondBack] = await itemsOf(rdb, [second]);
      expect(rows.map((row) => row.state)).toEqual(['destroyed', 'destroyed']);
      expect(rows[1]?.destroyed_digest).toBe(secondBack?.destroyed?.digest);
      const check = await verifyAll({ db: rdb, store: restored.store, signingKey: restored.signingKey });
      expect(check.problems).toEqual([]);
    } finally {
      await restored.close();
    }
  });
});
