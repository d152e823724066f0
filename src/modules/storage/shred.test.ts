import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTOR,
  blobFile,
  eventsOf,
  filesUnder,
  readAll,
  replicaRoot,
} from '../../../test/helpers/file-service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import { S3_BUCKET, startTestS3, type TestS3 } from '../../../test/helpers/s3.js';
import {
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import { inTransaction } from '../../db/transaction.js';
import { YidangError } from '../../shared/errors.js';
import { logVerifier } from '../integrity/checkpoint.service.js';
import { verifyAll } from '../verify/verify.service.js';
import { addFile, openFile } from './file.service.js';
import { runFixity } from './fixity.service.js';
import { confirmShred, readShredRecords, shredBlobKeys, unconfirmedShreds } from './shred.js';

// Crypto-shredding in storage, on real replica directories and a real database: the key destroyed in
// the caller's transaction, signed records on every replica, copies deleted with a retry while a
// replica is away, a blob shared with a live item kept, reads and re-uploads refused, verify passing.

const REGISTER = 'XH-J013-2026-1';

async function itemOf(system: TestSystem, title: string, content: string) {
  const archiveCode = await fileOneItem(system, { title });
  const file = await addFile(
    storage(system),
    archiveCode,
    { stream: streamOf(content), fileName: 'a.txt' },
    ACTOR,
  );
  const row = await system.database.db
    .selectFrom('archive_item')
    .select('id')
    .where('archive_code', '=', archiveCode)
    .executeTakeFirstOrThrow();
  return { id: row.id, archiveCode, digest: file.digest };
}

const shredContext = (system: TestSystem) => ({ store: system.store, signingKey: system.signingKey });

function shred(system: TestSystem, items: Array<{ id: number; archiveCode: string }>, register = REGISTER) {
  return inTransaction(system.database.db, (trx) =>
    shredBlobKeys(trx, shredContext(system), { register, items, actor: ACTOR, access: SYSTEM }),
  );
}

const recordFile = (system: TestSystem, replica: string, digest: string) =>
  path.join(replicaRoot(system, replica), 'shredded', 'sha256', `${digest.slice('sha256:'.length)}.json`);

describe('crypto-shredding a destroyed item’s files', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await openTestSystem();
  });
  afterAll(async () => {
    await system?.dispose();
  });

  it('destroys the key, writes a signed record to every replica, deletes every copy, and verify passes', async () => {
    const item = await itemOf(system, '待销毁甲', '甲的报销单内容');
    const kept = await itemOf(system, '继续保存乙', '乙的报销单内容');
    const outcome = await shred(system, [item]);
    expect(outcome).toEqual({ shredded: [item.digest], kept: [] });

    const row = await system.database.db
      .selectFrom('storage_blob')
      .select(['wrapped_key', 'shredded_at', 'shred_register', 'shred_confirmed_at'])
      .where('digest', '=', item.digest)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(row.wrapped_key).length).toBe(0);
    // Written before the commit, the replicas' record is not final until confirmShred makes it so.
    expect(fs.readFileSync(recordFile(system, 'r1', item.digest), 'utf8')).toContain('\\"final\\":false');
    expect(row.shred_register).toBe(REGISTER);
    expect(row.shred_confirmed_at).toBeNull();
    // The record is on both replicas before the copies go; the copies are still there until confirmed.
    for (const replica of ['r1', 'r2']) {
      expect(fs.existsSync(recordFile(system, replica, item.digest))).toBe(true);
      expect(fs.existsSync(blobFile(system, replica, item.digest))).toBe(true);
    }
    const read = await failure(openFile(storage(system), item.archiveCode, 1, ACTOR));
    expect(read.code).toBe('BLOB_SHREDDED');
    expect(read.message).toContain(`文件已按销毁清册 ${REGISTER} 销毁`);
    expect(await unconfirmedShreds(system.database.db, REGISTER)).toEqual([item.digest]);

    expect(await confirmShred(system.database.db, system, item.digest, ACTOR)).toEqual({
      replicas: ['r1', 'r2'],
    });
    expect(fs.readFileSync(recordFile(system, 'r2', item.digest), 'utf8')).toContain('\\"final\\":true');
    for (const replica of ['r1', 'r2'])
      expect(fs.existsSync(blobFile(system, replica, item.digest))).toBe(false);
    // Again: nothing more happens, one event only.
    await confirmShred(system.database.db, system, item.digest, ACTOR);
    const events = await eventsOf(system, 'blob.shredded', `blob:${item.digest}`);
    expect(events.map((event) => event.payload)).toEqual([
      expect.objectContaining({ register: REGISTER, items: [item.archiveCode], replicas: ['r1', 'r2'] }),
    ]);
    expect(await unconfirmedShreds(system.database.db)).toEqual([]);

    // The record's signature checks with the log key and says what was destroyed and why.
    const { records, refused } = await readShredRecords(
      system.store,
      await logVerifier(system.database.db, system.signingKey),
    );
    expect(refused).toEqual([]);
    expect(records.get(item.digest)).toMatchObject({
      digest: item.digest,
      register: REGISTER,
      items: [item.archiveCode],
      keyDestroyed: true,
      liveItems: 0,
      replicas: ['r1', 'r2'],
    });

    // Fixity neither counts the destroyed blob nor tries to repair its deleted copies.
    const fixity = await runFixity({ db: system.database.db, store: system.store }, ACTOR);
    expect(fixity.findings).toEqual([]);
    expect(fixity.ok).toBe(2);
    const other = await openFile(storage(system), kept.archiveCode, 1, ACTOR);
    expect((await readAll(other.stream)).toString('utf8')).toBe('乙的报销单内容');
    const report = await verifyAll({
      db: system.database.db,
      store: system.store,
      signingKey: system.signingKey,
    });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('keeps a blob another live item attaches, and says so in the record', async () => {
    const destroyed = await itemOf(system, '共用内容甲', '两件档案共用的扫描件');
    const live = await itemOf(system, '共用内容乙', '两件档案共用的扫描件');
    expect(live.digest).toBe(destroyed.digest);
    const outcome = await shred(system, [destroyed], 'XH-J013-2026-2');
    expect(outcome).toEqual({ shredded: [], kept: [{ digest: destroyed.digest, liveItems: 1 }] });
    const record = JSON.parse(fs.readFileSync(recordFile(system, 'r2', destroyed.digest), 'utf8')) as {
      note: string;
    };
    expect(record.note).toContain('"keyDestroyed":false');
    expect(record.note).toContain('"liveItems":1');
    // The destroyed item's file is gone for it; the live one still reads the same content.
    expect((await failure(openFile(storage(system), destroyed.archiveCode, 1, ACTOR))).code).toBe(
      'BLOB_SHREDDED',
    );
    const opened = await openFile(storage(system), live.archiveCode, 1, ACTOR);
    expect((await readAll(opened.stream)).toString('utf8')).toBe('两件档案共用的扫描件');

    // When the last item attaching it is destroyed, the key goes and the record lists both.
    const last = await shred(system, [live], 'XH-J013-2026-3');
    expect(last.shredded).toEqual([live.digest]);
    await confirmShred(system.database.db, system, live.digest, ACTOR);
    const { records } = await readShredRecords(
      system.store,
      await logVerifier(system.database.db, system.signingKey),
    );
    expect(records.get(live.digest)).toMatchObject({
      register: 'XH-J013-2026-3',
      keyDestroyed: true,
      items: [destroyed.archiveCode, live.archiveCode].sort(),
    });
  });

  it('refuses new bytes equal to destroyed ones, leaving nothing staged', async () => {
    const gone = await itemOf(system, '已销毁丙', '丙的内容，销毁后有人再次上传');
    await shred(system, [gone], 'XH-J013-2026-4');
    await confirmShred(system.database.db, system, gone.digest, ACTOR);
    const target = await fileOneItem(system, { title: '新档案丁' });
    const error = await failure(
      addFile(
        storage(system),
        target,
        { stream: streamOf('丙的内容，销毁后有人再次上传'), fileName: 'b.txt' },
        ACTOR,
      ),
    );
    expect(error.code).toBe('BLOB_SHREDDED');
    expect(error.message).toContain('已依法销毁');
    for (const replica of ['r1', 'r2']) {
      expect(filesUnder(path.join(replicaRoot(system, replica), 'tmp'))).toEqual([]);
      expect(fs.existsSync(blobFile(system, replica, gone.digest))).toBe(false);
    }
  });

  it('rolls the shred back when a replica cannot take the record, and retries deletion while one is away', async () => {
    const item = await itemOf(system, '副本离线戊', '戊的内容');
    const r2 = replicaRoot(system, 'r2');
    fs.renameSync(r2, `${r2}.away`);
    try {
      const refused = await failure(shred(system, [item], 'XH-J013-2026-5'));
      expect(refused.code).toBe('REPLICA_UNAVAILABLE');
      expect(refused.message).toContain('r2');
      expect(refused.message).toContain('本次销毁未执行');
      // The replica that took the record gave it back: no record of a destruction that did not happen.
      expect(fs.existsSync(recordFile(system, 'r1', item.digest))).toBe(false);
    } finally {
      fs.renameSync(`${r2}.away`, r2);
    }
    // Nothing was destroyed: the file reads, the attachment is not marked.
    const opened = await openFile(storage(system), item.archiveCode, 1, ACTOR);
    expect((await readAll(opened.stream)).toString('utf8')).toBe('戊的内容');

    await shred(system, [item], 'XH-J013-2026-5');
    fs.renameSync(r2, `${r2}.away`);
    try {
      const pending = await failure(confirmShred(system.database.db, system, item.digest, ACTOR));
      expect(pending.code).toBe('SHRED_PENDING');
      expect(pending.message).toContain('“r2”');
      expect(pending.message).toContain('稍后重试');
      expect(await unconfirmedShreds(system.database.db, 'XH-J013-2026-5')).toEqual([item.digest]);
      // Verify does not fail a shred still waiting for a replica.
      const during = await verifyAll({
        db: system.database.db,
        store: system.store,
        signingKey: system.signingKey,
      });
      expect(during.problems.filter((problem) => problem.kind.startsWith('blob.shred'))).toEqual([]);
    } finally {
      fs.renameSync(`${r2}.away`, r2);
    }
    await confirmShred(system.database.db, system, item.digest, ACTOR);
    expect(fs.existsSync(blobFile(system, 'r2', item.digest))).toBe(false);
    expect(await unconfirmedShreds(system.database.db)).toEqual([]);
  });

  it('leaves only a pending record when the destruction’s transaction rolls back, and a restore would not apply it', async () => {
    const item = await itemOf(system, '回滚壬', '壬的内容');
    const rolledBack = await failure(
      inTransaction(system.database.db, async (trx) => {
        await shredBlobKeys(trx, shredContext(system), {
          register: 'XH-J013-2026-8',
          items: [item],
          actor: ACTOR,
          access: SYSTEM,
        });
        // What the carry-out does next (the tombstone) fails: everything rolls back.
        throw new YidangError('ITEM_DESTROYED', 'conflict', 'rolled back');
      }),
    );
    expect(rolledBack.code).toBe('ITEM_DESTROYED');
    expect(fs.readFileSync(recordFile(system, 'r1', item.digest), 'utf8')).toContain('\\"final\\":false');
    const { records, refused } = await readShredRecords(
      system.store,
      await logVerifier(system.database.db, system.signingKey),
    );
    expect(records.has(item.digest)).toBe(false);
    expect(refused.filter((entry) => entry.digest === item.digest).map((entry) => entry.replica)).toEqual([
      'r1',
      'r2',
    ]);
    expect(refused.find((entry) => entry.digest === item.digest)?.reason).toContain('尚未确认');
    const opened = await openFile(storage(system), item.archiveCode, 1, ACTOR);
    expect((await readAll(opened.stream)).toString('utf8')).toBe('壬的内容');
  });

  it('verify names a destroyed blob whose key came back, and a copy left behind', async () => {
    const item = await itemOf(system, '校验己', '己的内容');
    await shred(system, [item], 'XH-J013-2026-6');
    await confirmShred(system.database.db, system, item.digest, ACTOR);
    const context = { db: system.database.db, store: system.store, signingKey: system.signingKey };
    expect((await verifyAll(context)).ok).toBe(true);
    // A copy written back behind the system's back.
    const copy = blobFile(system, 'r1', item.digest);
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.writeFileSync(copy, 'ciphertext');
    const left = await verifyAll(context);
    expect(left.problems.map((problem) => problem.kind)).toEqual(['blob.shred_copy_left']);
    fs.rmSync(copy);
    // The row un-shredded by hand (as a naive restore would).
    await system.database.db
      .updateTable('storage_blob')
      .set({
        shredded_at: null,
        shred_register: null,
        shred_confirmed_at: null,
        wrapped_key: Buffer.from('x'),
      })
      .where('digest', '=', item.digest)
      .execute();
    const back = await verifyAll(context);
    expect(back.problems.map((problem) => problem.kind)).toContain('blob.resurrected');
  });

  it('drops the sealed original file name (it may hold an ID number) with the item', async () => {
    const archiveCode = await fileOneItem(system, { title: '原名癸' });
    await addFile(
      storage(system),
      archiveCode,
      { stream: streamOf('癸的内容'), fileName: `${validId()}.txt` },
      ACTOR,
    );
    const row = await system.database.db
      .selectFrom('archive_item')
      .select('id')
      .where('archive_code', '=', archiveCode)
      .executeTakeFirstOrThrow();
    const sealed = () =>
      system.database.db
        .selectFrom('item_file')
        .select('original_name')
        .where('item_id', '=', row.id)
        .executeTakeFirstOrThrow();
    expect((await sealed()).original_name).not.toBeNull();
    await shred(system, [{ id: row.id, archiveCode }], 'XH-J013-2026-10');
    expect((await sealed()).original_name).toBeNull();
  });

  it('refuses a register code that is not one', async () => {
    const item = await itemOf(system, '编号庚', '庚的内容');
    expect((await failure(shred(system, [item], 'XH 1; drop table'))).code).toBe('VALIDATION_FAILED');
  });
});

describe('shredding on an S3 replica', () => {
  let s3: TestS3;
  let system: TestSystem;
  let prefix: string;

  beforeAll(async () => {
    s3 = await startTestS3();
    prefix = randomUUID().slice(0, 8);
    system = await openTestSystem({
      replicas: `r1=replica-1,cloud=s3://${S3_BUCKET}/${prefix}/`,
      env: s3.env,
    });
  });
  afterAll(async () => {
    await system?.dispose();
    await s3?.dispose();
  });

  const objectExists = async (key: string) => {
    try {
      await s3.client.send(new HeadObjectCommand({ Bucket: S3_BUCKET, Key: key }));
      return true;
    } catch {
      return false;
    }
  };

  it('writes the record as an object, waits while the store is down, then deletes the object', async () => {
    const item = await itemOf(system, '云端副本辛', '辛的内容');
    const hex = item.digest.slice('sha256:'.length);
    const blobKey = `${prefix}/blobs/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
    expect(await objectExists(blobKey)).toBe(true);
    await shred(system, [item], 'XH-J013-2026-7');
    expect(await objectExists(`${prefix}/shredded/sha256/${hex}.json`)).toBe(true);

    await s3.stop();
    try {
      const pending = await failure(confirmShred(system.database.db, system, item.digest, ACTOR));
      expect(pending.code).toBe('SHRED_PENDING');
      expect(pending.message).toContain('“cloud”');
    } finally {
      await s3.restart();
    }
    // The directory replica's copy went on the first try; the second try finishes the object store.
    expect(fs.existsSync(blobFile(system, 'r1', item.digest))).toBe(false);
    await confirmShred(system.database.db, system, item.digest, ACTOR);
    expect(await objectExists(blobKey)).toBe(false);
    const { records, refused } = await readShredRecords(
      system.store,
      await logVerifier(system.database.db, system.signingKey),
    );
    expect(refused).toEqual([]);
    expect(records.get(item.digest)?.replicas).toEqual(['r1', 'cloud']);
    const report = await verifyAll({
      db: system.database.db,
      store: system.store,
      signingKey: system.signingKey,
    });
    expect(report.problems).toEqual([]);
  });
});
