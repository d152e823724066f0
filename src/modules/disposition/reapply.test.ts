import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropEmptyDatabases, freshDatabaseUrl } from '../../../test/helpers/database.js';
import { ACTOR, blobFile, eventsOf, readAll, replicaRoot } from '../../../test/helpers/file-service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import {
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import { loadConfig } from '../../config/config.js';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { System } from '../../system/system.js';
import { openSystem } from '../../system/system.js';
import { createBackup } from '../backup/backup.service.js';
import { restoreBackup } from '../backup/restore.service.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { maskItem } from '../catalog/item.mask.js';
import type { Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { destroyedOf } from '../catalog/tombstone.js';
import { logVerifier } from '../integrity/checkpoint.service.js';
import { signNote } from '../integrity/checkpoint-note.js';
import { recordPageTexts } from '../search/page-text.service.js';
import { addFile, openFile } from '../storage/file.service.js';
import { confirmShred, SHRED_FORMAT } from '../storage/shred.js';
import { destroyItem } from './destruction.carry.js';
import { finalizeRowRecord } from './destruction.records.js';
import { verifyAll } from '../verify/verify.service.js';

// Restore never resurrects: a backup taken before a destruction, restored after it into a new home on
// the same replicas, comes back with the destroyed items as tombstones and their files unreadable,
// and verify passes. The destruction is carried out item by item as the register's carry-out job
// does it (destroyItem, then the copies deleted and the record final); forged records are refused.

const PASSPHRASE = '档案备份-Correct-Horse-42';
const REGISTER = 'XH-J013-2026-1';
const dirs: string[] = [];

interface Filed {
  id: number;
  archiveCode: string;
  digests: string[];
}

async function fileWith(system: TestSystem, title: string, contents: string[]): Promise<Filed> {
  const archiveCode = await fileOneItem(system, { title });
  const digests: string[] = [];
  for (const [index, content] of contents.entries()) {
    const file = await addFile(
      storage(system),
      archiveCode,
      { stream: streamOf(content), fileName: `${index + 1}.txt` },
      ACTOR,
    );
    digests.push(file.digest);
  }
  const row = await system.database.db
    .selectFrom('archive_item')
    .select('id')
    .where('archive_code', '=', archiveCode)
    .executeTakeFirstOrThrow();
  return { id: row.id, archiveCode, digests };
}

/** One item per transaction, as the carry-out job does it; then every copy deleted and the record final. */
async function destroy(system: TestSystem, items: Filed[]): Promise<string[]> {
  const shredded: string[] = [];
  const context = { db: system.database.db, store: system.store, signingKey: system.signingKey };
  for (const filed of items) {
    const at = new Date();
    const [item] = await findItemsByCodes(system.database.db, [filed.archiveCode], scopedQuery(SYSTEM));
    const title = maskItem(item as Item).title;
    const outcome = await inTransaction(system.database.db, (trx) =>
      destroyItem(trx, context, SYSTEM, item as Item, { register: REGISTER, title, actor: ACTOR, at }),
    );
    for (const digest of outcome.shredded) await confirmShred(system.database.db, system, digest, ACTOR);
    await finalizeRowRecord(context, REGISTER, {
      item_id: filed.id,
      archive_code: filed.archiveCode,
      title,
      destroyed_digest: outcome.digest,
      destroyed_at: at,
    });
    shredded.push(...outcome.shredded);
  }
  return shredded.sort();
}

const text = async (system: Pick<System, 'database' | 'store'>, code: string, file = 1) =>
  (await readAll((await openFile(storage(system as System), code, file, ACTOR)).stream)).toString('utf8');

async function idsOf(db: Db, codes: string[]): Promise<number[]> {
  const rows = await db.selectFrom('archive_item').select('id').where('archive_code', 'in', codes).execute();
  return rows.map((row) => row.id);
}

afterAll(async () => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  await dropEmptyDatabases();
});

describe('a backup taken before a destruction, restored after it', () => {
  let system: TestSystem;
  let destroyedA: Filed;
  let destroyedB: Filed;
  let destroyedE: Filed;
  let liveC: Filed;
  let liveD: Filed;
  let backupDir: string;
  let shredded: string[];

  beforeAll(async () => {
    system = await openTestSystem();
    destroyedA = await fileWith(system, '王建国 到期销毁甲', ['甲的医疗费用报销单']);
    // B and C attach the same scan: B is destroyed, C lives on, so the blob is kept for C.
    destroyedB = await fileWith(system, '到期销毁乙', ['乙丙共用的扫描件']);
    liveC = await fileWith(system, '继续保存丙', ['乙丙共用的扫描件']);
    liveD = await fileWith(system, '继续保存丁', ['丁的结算单']);
    destroyedE = await fileWith(system, '到期销毁戊', ['戊的第一份文件', '戊的第二份文件']);
    // Recognised page text of a destroyed item and of a living one: the backup holds both.
    for (const item of [destroyedA, liveD])
      await recordPageTexts(
        system.database.db,
        item.archiveCode,
        [{ page: 1, text: `${item.archiveCode} 的第一页文字` }],
        ACTOR,
        SYSTEM,
      );
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-h4-backups-'));
    dirs.push(work);
    backupDir = path.join(work, 'before-destruction');
    await createBackup(system, backupDir, PASSPHRASE, '备份员');
    shredded = await destroy(system, [destroyedA, destroyedB, destroyedE]);
  });
  afterAll(async () => {
    await system?.dispose();
  });

  it('destroys on the running system first: verify passes there', async () => {
    expect(shredded).toEqual([...destroyedA.digests, ...destroyedE.digests].sort());
    const report = await verifyAll({
      db: system.database.db,
      store: system.store,
      signingKey: system.signingKey,
    });
    expect(report.problems).toEqual([]);
    for (const digest of shredded)
      for (const replica of ['r1', 'r2'])
        expect(fs.existsSync(blobFile(system, replica, digest))).toBe(false);
  });

  it('comes back with tombstones and unreadable files, refuses forged records, and verify passes', async () => {
    // Two records planted on replica r2: one signed by a key that is not the log's (same name), one unsigned.
    const origin = (await logVerifier(system.database.db, system.signingKey)).name;
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
    const forgedBody = {
      format: SHRED_FORMAT,
      digest: liveD.digests[0],
      register: 'XH-J013-2026-9',
      items: [liveD.archiveCode],
      keyDestroyed: true,
      liveItems: 0,
      shreddedAt: new Date().toISOString(),
    };
    const forged = signNote(`${JSON.stringify(forgedBody)}\n`, {
      name: origin,
      algorithm: 'ed25519',
      privateKey,
      publicKey,
    });
    const recordPath = (digest: string) =>
      path.join(replicaRoot(system, 'r2'), 'shredded', 'sha256', `${digest.slice('sha256:'.length)}.json`);
    fs.writeFileSync(
      recordPath(liveD.digests[0] as string),
      JSON.stringify({ format: SHRED_FORMAT, note: forged }),
    );
    fs.writeFileSync(
      recordPath(liveC.digests[0] as string),
      JSON.stringify({ ...forgedBody, digest: liveC.digests[0] }),
    );

    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-h4-restored-'));
    dirs.push(home);
    fs.rmSync(home, { recursive: true });
    const url = await freshDatabaseUrl();
    const config = loadConfig(
      {
        YIDANG_HOME: home,
        YIDANG_REPLICAS: `r1=${replicaRoot(system, 'r1')},r2=${replicaRoot(system, 'r2')}`,
        ...(url ? { DATABASE_URL: url } : {}),
      },
      home,
    );
    const report = await restoreBackup(config, backupDir, PASSPHRASE);
    expect(report.verify.problems).toEqual([]);
    expect(report.verify.ok).toBe(true);
    expect([...report.shreds.items].sort()).toEqual(
      [destroyedA.archiveCode, destroyedB.archiveCode, destroyedE.archiveCode].sort(),
    );
    expect(report.shreds.blobs).toBe(3);
    expect(report.shreds.refused.map((refused) => refused.digest).sort()).toEqual(
      [liveC.digests[0], liveD.digests[0]].sort(),
    );
    expect(report.shreds.refused.find((refused) => refused.digest === liveD.digests[0])?.reason).toContain(
      '签名',
    );

    const restored = await openSystem(config);
    try {
      const db = restored.database.db;
      const destroyed = await destroyedOf(
        db,
        await idsOf(db, [destroyedA.archiveCode, destroyedB.archiveCode, destroyedE.archiveCode]),
      );
      expect([...destroyed.values()].map((entry) => entry.register)).toEqual([REGISTER, REGISTER, REGISTER]);
      // The tombstone's 题名 is the register's, with the person's name masked, not the backup's.
      const titles = await db
        .selectFrom('archive_item')
        .select('title')
        .where('archive_code', '=', destroyedA.archiveCode)
        .execute();
      expect(titles.map((row) => row.title)).toEqual(['王*国 到期销毁甲']);
      for (const [code, file] of [
        [destroyedA.archiveCode, 1],
        [destroyedB.archiveCode, 1],
        [destroyedE.archiveCode, 2],
      ] as const) {
        const error = await failure(openFile(storage(restored), code, file, ACTOR));
        expect(error.code).toBe('BLOB_SHREDDED');
        expect(error.message).toContain(`文件已按销毁清册 ${REGISTER} 销毁`);
      }
      // The destroyed item's page text went with it, as in the carry-out; the living item's stayed.
      const pageTexts = await db.selectFrom('item_page_text').select('item_id').execute();
      expect(pageTexts.map((row) => Number(row.item_id))).toEqual(await idsOf(db, [liveD.archiveCode]));
      // The living items read as before, the shared scan included; the forged record changed nothing.
      expect(await text(restored, liveC.archiveCode)).toBe('乙丙共用的扫描件');
      expect(await text(restored, liveD.archiveCode)).toBe('丁的结算单');
      for (const digest of shredded)
        for (const replica of ['r1', 'r2'])
          expect(fs.existsSync(blobFile(system, replica, digest))).toBe(false);
      // The log says the destruction was re-applied after the restore, per blob and per item.
      const reapplied = await db
        .selectFrom('integrity_event')
        .select(['action', 'subject', 'payload'])
        .where('action', 'in', ['blob.shred_reapplied', 'item.destroyed'])
        .execute();
      expect(
        reapplied
          .filter((event) => event.action === 'blob.shred_reapplied')
          .map((event) => event.subject)
          .sort(),
      ).toEqual(shredded.map((digest) => `blob:${digest}`));
      const items = reapplied.filter((event) => event.action === 'item.destroyed');
      expect(items).toHaveLength(3);
      for (const event of items)
        expect(JSON.parse(event.payload)).toMatchObject({ register: REGISTER, reapplied: true });
      const again = await verifyAll({ db, store: restored.store, signingKey: restored.signingKey });
      expect(again.problems).toEqual([]);
    } finally {
      await restored.close();
    }
    // The running system is untouched by the restore beside it.
    expect(await text(system, liveD.archiveCode)).toBe('丁的结算单');
    expect((await eventsOf(system, 'blob.shredded')).length).toBe(3);
  });
});
